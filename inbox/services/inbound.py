"""Customer messages coming in from any channel: stored once, routed, summarised."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..channels import InboundMessage
from ..models import (
    Attachment,
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    SenderId,
)
from ..phone import InvalidPhoneNumber, normalise_phone
from ..segments import count_segments
from .routing import inbound_owner
from .sending import preview_of

log = logging.getLogger(__name__)


class UnknownSender(Exception):
    """The message was addressed to a number that is not one of our sender IDs."""


def contact_for_address(address: str, *, profile_name: str = "") -> tuple[Contact, bool]:
    """The contact with this phone number, created when new; returns (contact, created)."""
    try:
        phone = normalise_phone(address)
    except InvalidPhoneNumber:
        # Short codes and alphanumeric senders are not E.164 but are still customers.
        phone = address.strip()
    contact, created = Contact.objects.get_or_create(
        phone_e164=phone, defaults={"display_name": profile_name[:200]}
    )
    return contact, created


def message_receive(*, inbound: InboundMessage) -> tuple[Message, bool]:
    """Store a customer's message once and route its conversation; return (message, created).

    Idempotent by (channel, provider_sid): a redelivered webhook returns the stored message
    and changes nothing. Raises UnknownSender when ``to_address`` is none of ours.
    """
    existing = Message.objects.filter(
        channel=inbound.channel, provider_sid=inbound.provider_sid
    ).first()
    if existing is not None:
        return existing, False
    sender = SenderId.objects.filter(address=inbound.to_address, is_active=True).first()
    if sender is None:
        raise UnknownSender(inbound.to_address)
    now = timezone.now()
    try:
        with transaction.atomic():
            contact, contact_is_new = contact_for_address(
                inbound.from_address, profile_name=inbound.profile_name
            )
            conversation, _ = Conversation.objects.get_or_create(contact=contact, sender_id=sender)
            conversation = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("sender_id", "owner", "last_sender")
                .get(pk=conversation.pk)
            )
            message = Message.objects.create(
                conversation=conversation,
                direction=MessageDirection.INBOUND,
                body=inbound.body,
                status=MessageStatus.RECEIVED,
                channel=inbound.channel,
                provider_sid=inbound.provider_sid,
                segments=max(count_segments(inbound.body).segments, 1),
            )
            Attachment.objects.bulk_create(
                Attachment(message=message, content_type=m.content_type, source_url=m.url)
                for m in inbound.media
            )
            conversation_record_inbound(
                conversation=conversation,
                owner=inbound_owner(conversation=conversation, contact_is_new=contact_is_new),
                preview=preview_of(inbound.body) or _media_preview(len(inbound.media)),
                at=now,
            )
    except IntegrityError:
        # A concurrent delivery of the same webhook stored it first.
        existing = Message.objects.filter(
            channel=inbound.channel, provider_sid=inbound.provider_sid
        ).first()
        if existing is None:
            raise
        return existing, False
    log.info("inbound %s stored in %s", inbound.provider_sid, conversation.public_id)
    return message, True


def _media_preview(count: int) -> str:
    return "" if not count else ("📎 Attachment" if count == 1 else f"📎 {count} attachments")


def conversation_record_inbound(*, conversation: Conversation, owner, preview: str, at) -> None:
    """Update the thread summary for a customer message; a closed conversation reopens."""
    conversation.owner = owner
    conversation.last_inbound_at = at
    conversation.last_activity_at = at
    conversation.changed_at = at
    conversation.last_message_preview = preview
    conversation.last_message_direction = MessageDirection.INBOUND
    if conversation.waiting_since is None:
        conversation.waiting_since = at
    conversation.status = (
        Conversation.Status.ASSIGNED if owner is not None else Conversation.Status.OPEN
    )
    conversation.closed_at = None
    conversation.save(
        update_fields=[
            "owner",
            "last_inbound_at",
            "last_activity_at",
            "changed_at",
            "last_message_preview",
            "last_message_direction",
            "waiting_since",
            "status",
            "closed_at",
        ]
    )

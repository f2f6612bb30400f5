"""Customer messages coming in from any channel: stored once, routed, summarised."""

import logging
import mimetypes

from django.core.files.base import ContentFile
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
from .consent import inbound_keywords_apply
from .routing import inbound_owner
from .sending import media_preview, preview_of

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
    and changes nothing. Opt-out, opt-in and HELP keywords are acted on (F-CP1).
    Raises UnknownSender when ``to_address`` is none of ours.
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
            conversation, _ = Conversation.objects.get_or_create(
                contact=contact, sender_id=sender, defaults={"team_id": sender.team_id}
            )
            conversation = (
                # Lock only the conversation row: PostgreSQL refuses FOR UPDATE on the
                # nullable side of the outer joins select_related adds.
                Conversation.objects.select_for_update(of=("self",))
                .select_related("sender_id__team", "owner", "last_sender")
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
                preview=preview_of(inbound.body) or media_preview(len(inbound.media)),
                at=now,
            )
            inbound_keywords_apply(
                conversation=conversation,
                body=inbound.body,
                provider_signal=inbound.opt_out_type,
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


def attachment_content_store(*, attachment_id: int, content: bytes, content_type: str) -> None:
    """Store the fetched file of an inbound attachment through Django's storage API.

    Locks the attachment: two workers fetching the same media store one file.
    """
    with transaction.atomic():
        attachment = (
            Attachment.objects.select_for_update(of=("self",))
            .select_related("message")
            .get(pk=attachment_id)
        )
        if attachment.file:
            return
        extension = mimetypes.guess_extension(content_type) or ""
        name = attachment.original_name or f"{attachment.public_id}{extension}"
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.content_type = content_type
        attachment.size = len(content)
        attachment.original_name = name
        attachment.save(update_fields=["file", "content_type", "size", "original_name"])
        Conversation.objects.filter(pk=attachment.message.conversation_id).update(
            changed_at=timezone.now()
        )

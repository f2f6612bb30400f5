"""Customer messages coming in from any channel: stored once, routed, summarised."""

import logging
import mimetypes
from dataclasses import replace
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..channels import InboundFile, InboundMessage, InvalidAddress, channel_rules
from ..happenings import Happening, announce
from ..live_events import event_record
from ..models import (
    Attachment,
    Contact,
    ContactIdentity,
    Conversation,
    ConversationEvent,
    Message,
    MessageDirection,
    MessageStatus,
    SenderId,
)
from ..pure.media_types import HEAD_BYTES, media_type_sniff
from ..pure.segments import count_segments
from ..pure.storable import storable_text
from ..reports.metrics import first_times_after_inbound
from ..reports.tally import tally_add
from .auto_replies import auto_replies_send
from .consent import inbound_keywords_apply
from .contact_activity import contact_touch
from .identities import identity_for
from .routing import inbound_owner
from .sending import media_preview, preview_of
from .service_levels import auto_close_due, waiting_due_fields
from .snooze import snooze_end

log = logging.getLogger(__name__)


PHONE_MAX_LENGTH = Contact._meta.get_field("phone_e164").max_length
CONTENT_TYPE_MAX_LENGTH = Attachment._meta.get_field("content_type").max_length
SOURCE_URL_MAX_LENGTH = Attachment._meta.get_field("source_url").max_length
SUBJECT_MAX_LENGTH = Message._meta.get_field("subject").max_length
NAME_MAX_LENGTH = Attachment._meta.get_field("original_name").max_length


class UnknownSender(Exception):
    """The message was addressed to a number that is not one of our sender IDs."""


def customer_address(*, channel: str, address: str) -> str:
    """A customer's address as the channel stores it (E.164 for numbers), else as it came:
    short codes and alphanumeric senders are no E.164 but are still customers."""
    try:
        return channel_rules(channel).normalise_address(address)
    except InvalidAddress:
        return address.strip()[:PHONE_MAX_LENGTH]


def message_receive(
    *, inbound: InboundMessage, received_at: datetime | None = None
) -> tuple[Message, bool]:
    """Store a customer's message once and route its conversation; return (message, created).

    ``received_at`` is when the provider posted the message (default: now): it is the
    message's time in the thread, however late a worker gets to it, so two messages stored
    out of order still read in the order the customer wrote them.

    Idempotent by (channel, provider_sid): a redelivered webhook returns the stored message
    and changes nothing. Safe for concurrent workers: the contact and the conversation are
    unique rows (a second worker waits on the first one's insert and then uses it), and the
    conversation row is locked while the message is added. Opt-out, opt-in and HELP
    keywords are acted on (F-CP1). A body is cut at its channel's limit
    (``ChannelRules.text_limit``; the webhook's payload is kept as it came). Raises
    UnknownSender when ``to_address`` is none of ours.
    """
    existing = Message.objects.filter(
        channel=inbound.channel, provider_sid=inbound.provider_sid
    ).first()
    if existing is not None:
        return existing, False
    rules = channel_rules(inbound.channel)
    inbound = replace(inbound, body=inbound.body[: rules.text_limit])
    sender = SenderId.objects.filter(address=inbound.to_address, is_active=True).first()
    if sender is None:
        raise UnknownSender(inbound.to_address)
    written_at = received_at or timezone.now()
    try:
        with transaction.atomic():
            phone = customer_address(channel=sender.channel, address=inbound.from_address)
            conversation = _answered_thread_locked(
                sender=sender, answers=inbound.answers
            ) or _thread_locked(sender=sender, phone=phone)
            contact_is_new = False
            opened = conversation is None
            if conversation is None:
                identity, contact_is_new = identity_for(
                    kind=rules.identity_kind,
                    address=phone,
                    finds_kinds=rules.finds_kinds,
                    display_name=inbound.profile_name,
                )
                conversation = _conversation_locked(identity=identity, sender=sender)
            newest = not _newer_message_shown(conversation=conversation, written_at=written_at)
            message = Message.objects.create(
                conversation=conversation,
                direction=MessageDirection.INBOUND,
                body=inbound.body,
                status=MessageStatus.RECEIVED,
                channel=inbound.channel,
                provider_sid=inbound.provider_sid,
                segments=max(count_segments(inbound.body).segments, 1),
                subject=inbound.subject[:SUBJECT_MAX_LENGTH],
                created_at=written_at,
            )
            inbound_files_store(message=message, files=inbound.files, rules=rules)
            Attachment.objects.bulk_create(
                Attachment(
                    message=message,
                    content_type=m.content_type[:CONTENT_TYPE_MAX_LENGTH],
                    source_url=m.url,
                )
                for m in _fetchable(inbound)
            )
            preview = (
                (preview_of(inbound.body) or media_preview(len(inbound.media) + len(inbound.files)))
                if newest
                else None
            )
            if inbound.automated:
                conversation_record_automated(
                    conversation=conversation, preview=preview, at=timezone.now()
                )
            else:
                with_bot = bot_takes(conversation=conversation, opened=opened)
                conversation_record_inbound(
                    conversation=conversation,
                    owner=inbound_owner(conversation=conversation, contact_is_new=contact_is_new),
                    preview=preview,
                    # Stamped once the row is locked: the change commits right after its stamp.
                    at=timezone.now(),
                    written_at=written_at,
                    with_bot=with_bot,
                )
                intent = inbound_keywords_apply(
                    conversation=conversation,
                    body=inbound.body,
                    provider_signal=inbound.opt_out_type,
                    written_at=written_at,
                )
                if not with_bot:  # the bot answers, or hands over with the auto-replies
                    auto_replies_send(
                        conversation=conversation,
                        contact_is_new=contact_is_new,
                        intent=intent,
                        written_at=written_at,
                    )
            tally_add(message)  # last: the busy quarter hour's row is held only to the commit
            if opened:
                announce(Happening.OPENED, conversation_id=conversation.pk)
            announce(
                Happening.MESSAGE_RECEIVED, conversation_id=conversation.pk, message_id=message.pk
            )
    except IntegrityError:
        # A concurrent delivery of the same webhook stored it first.
        existing = Message.objects.filter(
            channel=inbound.channel, provider_sid=inbound.provider_sid
        ).first()
        if existing is None:
            raise
        return existing, False
    log.info(
        "inbound %s stored in %s",
        inbound.provider_sid,
        conversation.public_id,
        extra={"message_id": message.public_id},
    )
    return message, True


def _fetchable(inbound: InboundMessage) -> list:
    """The message's media whose URL fits an attachment; any other is logged and left out
    (the stored webhook keeps it): one bad field never keeps a message from the inbox."""
    fetchable = [m for m in inbound.media if len(m.url) <= SOURCE_URL_MAX_LENGTH]
    if len(fetchable) < len(inbound.media):
        log.warning(
            "inbound %s: %d media URL(s) too long to fetch, left out",
            inbound.provider_sid,
            len(inbound.media) - len(fetchable),
        )
    return fetchable


def _locked_threads():
    # Lock only the conversation row: PostgreSQL refuses FOR UPDATE on the nullable side
    # of the outer joins select_related adds.
    return Conversation.objects.select_for_update(of=("self",)).select_related(
        "sender_id__team", "owner", "last_sender", "contact"
    )


def _answered_thread_locked(*, sender: SenderId, answers: tuple[str, ...]) -> Conversation | None:
    """The conversation of ``sender`` holding the newest of the messages ``answers`` names
    (an e-mail's In-Reply-To and References), its row locked; None when it holds none."""
    if not answers:
        return None
    answered = (
        Message.objects.filter(
            channel=sender.channel,
            provider_sid__in=answers[-50:],
            conversation__sender_id=sender,
        )
        .order_by("-created_at")
        .values_list("conversation_id", flat=True)
        .first()
    )
    return None if answered is None else _locked_threads().get(pk=answered)


def _thread_locked(*, sender: SenderId, phone: str) -> Conversation | None:
    """The existing conversation of ``sender`` with the address ``phone``, its row locked."""
    return _locked_threads().filter(sender_id=sender, customer_address=phone).first()


def _conversation_locked(*, identity: ContactIdentity, sender: SenderId) -> Conversation:
    """The conversation of ``sender`` with ``identity``, created when new, its row locked."""
    created, _ = Conversation.objects.get_or_create(
        sender_id=sender,
        customer_address=identity.address,
        defaults={"contact": identity.contact, "identity": identity, "team_id": sender.team_id},
    )
    return _locked_threads().get(pk=created.pk)


def _newer_message_shown(*, conversation: Conversation, written_at: datetime) -> bool:
    """Whether the thread already holds a message newer than one written at ``written_at``.

    Only a message stored late can be older than what the conversation shows: without one
    stored since it was written (``last_inbound_at`` is when the newest was stored), no query.
    """
    if conversation.last_outbound_at is not None and conversation.last_outbound_at > written_at:
        return True
    if conversation.last_inbound_at is None or conversation.last_inbound_at <= written_at:
        return False
    return Message.objects.filter(
        conversation=conversation, direction=MessageDirection.INBOUND, created_at__gt=written_at
    ).exists()


def bot_takes(*, conversation: Conversation, opened: bool) -> bool:
    """Whether a bot answers the customer message coming into ``conversation`` (F-AU5): it
    keeps a conversation it has, and takes a new or closed one on a line whose bot is on
    (``SenderId.bot_answers``). A conversation people are in stays theirs."""
    if conversation.with_bot:
        return True
    return conversation.sender_id.bot_answers and (
        opened or conversation.status == Conversation.Status.CLOSED
    )


def conversation_record_inbound(
    *,
    conversation: Conversation,
    owner,
    preview: str | None,
    at: datetime,
    written_at: datetime | None = None,
    with_bot: bool = False,
) -> None:
    """Update the thread summary for a customer message; a closed conversation reopens (with
    a STATUS event, like every status change).

    ``with_bot``: a bot answers it (``bot_takes``): nobody waits for a person, and no list
    counts it unread, until the bot hands over (``services.bot.conversation_bot_hand_over``).

    ``at`` is when the message reached the inbox: the conversation is unread and newest in
    the lists from then, even when a worker stored the message late. ``written_at`` (default
    ``at``) is when the customer wrote it: they wait from then, unless we replied since.
    A ``preview`` of None keeps the one shown (a newer message was stored first).
    """
    written_at = written_at or at
    conversation.owner = owner
    conversation.last_inbound_at = at
    conversation.last_activity_at = at
    conversation.changed_at = at
    conversation.listed = True  # a campaign's thread opens with the customer's reply
    if preview is not None:
        conversation.last_message_preview = preview
        conversation.last_message_direction = MessageDirection.INBOUND
    answered = conversation.last_outbound_at is not None and (
        conversation.last_outbound_at >= written_at
    )
    due = {}
    conversation.with_bot = with_bot
    if with_bot:
        conversation.waiting_since = None
    elif not answered and (
        conversation.waiting_since is None or conversation.waiting_since > written_at
    ):
        conversation.waiting_since = written_at
        due = waiting_due_fields(sender=conversation.sender_id, since=written_at)
    due["auto_close_at"] = auto_close_due(sender=conversation.sender_id, last_inbound_at=at)
    for name, value in due.items():
        setattr(conversation, name, value)
    before = conversation.status
    conversation.status = (
        Conversation.Status.ASSIGNED if owner is not None else Conversation.Status.OPEN
    )
    if before == Conversation.Status.CLOSED:
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.STATUS,
            body="Reopened by the customer's message",
            data={"from": before, "to": conversation.status},
        )
        announce(Happening.REOPENED, conversation_id=conversation.pk)
    conversation.closed_at = None
    if conversation.snoozed_by_id is not None:
        snooze_end(conversation, reason="The customer wrote")
    first_times = first_times_after_inbound(conversation=conversation, written_at=written_at)
    conversation.save(
        update_fields=[
            *first_times,
            "snoozed_by",
            "snoozed_until",
            "owner",
            "last_inbound_at",
            "last_activity_at",
            "changed_at",
            "listed",
            "last_message_preview",
            "last_message_direction",
            "waiting_since",
            "with_bot",
            "status",
            "closed_at",
            *due,
        ]
    )
    contact_touch(contact_id=conversation.contact_id, at=at)
    event_record(kind="message_in", conversations=[conversation])


def conversation_record_automated(
    *, conversation: Conversation, preview: str | None, at: datetime
) -> None:
    """Show a machine's message (an out-of-office, a mailing list's) in the thread and the
    lists, and change nothing else: a closed conversation stays closed, nobody waits, no
    automatic reply answers it (two auto-replying ends would never stop)."""
    fields = {"last_activity_at": at, "changed_at": at}
    if preview is not None:
        fields |= {
            "last_message_preview": preview,
            "last_message_direction": MessageDirection.INBOUND,
        }
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    event_record(kind="message_in", conversations=[conversation])


def inbound_files_store(*, message: Message, files: list[InboundFile], rules) -> None:
    """Keep the files that came inside a message, checked as an agent's uploads are: the type
    read from the first bytes (never the name or the sender's word) must be one the channel
    carries, within its size limit. A file left out is named in the message for the agent."""
    left_out = []
    for file in files:
        name = storable_text(file.name)[:NAME_MAX_LENGTH] or "attachment"
        sniffed = media_type_sniff(file.content[:HEAD_BYTES])
        if sniffed is None or sniffed not in rules.media_types:
            left_out.append(f"📎 {name} was not kept: files of this type are not accepted.")
            continue
        if len(file.content) > rules.media_max_bytes:
            left_out.append(f"📎 {name} was not kept: it is larger than the limit.")
            continue
        attachment = Attachment(
            message=message, content_type=sniffed, size=len(file.content), original_name=name
        )
        attachment.file.save(name, ContentFile(file.content), save=False)
        attachment.save()
    if left_out:
        message.body = "\n\n".join([message.body, *left_out]).strip()
        Message.objects.filter(pk=message.pk).update(body=message.body)


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
        event_record(kind="attachment", conversations=[attachment.message.conversation_id])

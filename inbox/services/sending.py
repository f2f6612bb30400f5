"""Outbound messages: checked and saved first, then handed to the channel by a task (F-OP2)."""

import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..access import can_send_in
from ..channels import SendError, adapter_for
from ..models import (
    Attachment,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    Participation,
    SenderId,
    User,
)
from ..reports.metrics import first_response_on_send
from ..segments import count_segments
from .status import PROVIDER_STATUS, message_provider_sid_store, message_status_apply

log = logging.getLogger(__name__)


class SendRefused(Exception):
    """A send that must not happen; the message is for the agent, in plain words."""


@dataclass(frozen=True)
class DispatchOutcome:
    """What one dispatch attempt did, for the task to act on."""

    sent: bool = False
    retry: bool = False
    error: SendError | None = None


def preview_of(body: str) -> str:
    return " ".join(body.split())[:140]


def media_preview(count: int) -> str:
    return "" if not count else ("📎 Attachment" if count == 1 else f"📎 {count} attachments")


def check_can_send(
    *, conversation: Conversation, author: User, body: str, media_count: int = 0
) -> str:
    """Validate a send and return the body to store; raise SendRefused with the reason."""
    body = (body or "").strip()
    if not body and not media_count:
        raise SendRefused("Write a message before sending.")
    if media_count > settings.MESSAGE_MAX_MEDIA:
        raise SendRefused(f"Attach at most {settings.MESSAGE_MAX_MEDIA} files to one message.")
    if len(body) > settings.MESSAGE_MAX_LENGTH:
        raise SendRefused(
            f"The message is {len(body)} characters; the limit is {settings.MESSAGE_MAX_LENGTH}."
        )
    if not can_send_in(author, conversation):
        raise SendRefused("You cannot reply in this conversation; grab or join it first.")
    check_not_opted_out(conversation=conversation)
    return body


def check_not_opted_out(*, conversation: Conversation) -> None:
    if conversation.contact.sms_opted_out_at is not None:
        raise SendRefused(
            "The customer has opted out (they replied STOP). Nothing can be sent until they "
            "text START."
        )


def message_send(
    *,
    conversation: Conversation,
    author: User,
    body: str,
    idempotency_key: str | None = None,
    media: Sequence[UploadedFile] = (),
) -> Message:
    """Save an outgoing message (and its media) as queued; enqueue delivery once it commits.

    With an ``idempotency_key`` already used, returns the message it created instead of
    sending again (double click, resubmitted form). The key's unique constraint decides: a
    fresh key, the usual case, costs no look-up.
    """
    try:
        body = check_can_send(
            conversation=conversation, author=author, body=body, media_count=len(media)
        )
    except SendRefused:
        # A resubmitted form whose first send went out before the refusal applied (the
        # customer opted out since, say): that send stands, as if the form were new.
        if idempotency_key and (existing := _sent_with_key(idempotency_key, conversation, author)):
            return existing
        raise
    now = timezone.now()
    try:
        with transaction.atomic():
            message = _outbound_save(
                conversation=conversation,
                author=author,
                body=body,
                idempotency_key=idempotency_key or None,
            )
            for upload in media:
                attachment_store(message=message, upload=upload)
            conversation_record_outbound(
                conversation=conversation,
                author=author,
                body=body or media_preview(len(media)),
                at=now,
            )
            dispatch_or_hold_on_commit(message=message, conversation=conversation, now=now)
    except IntegrityError:
        # The key was used already (a double click, or a race we lost): that send stands.
        if idempotency_key and (existing := _sent_with_key(idempotency_key, conversation, author)):
            return existing
        raise
    return message


def _sent_with_key(key: str, conversation: Conversation, author: User) -> Message | None:
    """The message this author already sent in this conversation with ``key``.

    A key used anywhere else is refused: it cannot stand for this send.
    """
    existing = Message.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.conversation_id != conversation.pk or existing.author_id != author.pk:
        raise SendRefused("This form was already used for another message; reload the page.")
    return existing


def dispatch_or_hold_on_commit(*, message: Message, conversation: Conversation, now) -> None:
    """Dispatch an agent's message, or hold it until its sender ID's business hours open
    (F-CP4, ``services.held_messages``). Call it where ``dispatch_paced_on_commit`` goes."""
    from .held_messages import hold_until, message_hold  # held messages import this module

    opens = hold_until(sender=conversation.sender_id, at=now)
    if opens is None:
        dispatch_paced_on_commit(message=message, sender_id=conversation.sender_id_id)
    else:
        message_hold(message=message, until=opens)


def message_send_automatic(*, conversation: Conversation, body: str, kind: str) -> Message:
    """Send a reply nobody typed (``kind``: an ``AutoKind``) through the normal delivery path.

    Never held for business hours: a HELP answer is owed at once (carriers require it),
    and an out-of-hours reply or a greeting answers the customer's message now, while the
    WhatsApp window it opened is still open. It is not an agent's response either: the
    customer keeps waiting (``waiting_since`` stays).
    """
    check_not_opted_out(conversation=conversation)
    now = timezone.now()
    with transaction.atomic():
        message = _outbound_save(conversation=conversation, author=None, body=body, auto_kind=kind)
        Conversation.objects.filter(pk=conversation.pk).update(last_outbound_at=now, changed_at=now)
        dispatch_paced_on_commit(message=message, sender_id=conversation.sender_id_id)
    return message


def _outbound_save(
    *,
    conversation: Conversation,
    author: User | None,
    body: str,
    idempotency_key: str | None = None,
    auto_kind: str = "",
) -> Message:
    """Save a queued outgoing message; the caller dispatches it (``dispatch_paced_on_commit``)."""
    return Message.objects.create(
        conversation=conversation,
        direction=MessageDirection.OUTBOUND,
        author=author,
        body=body,
        status=MessageStatus.QUEUED,
        channel=conversation.sender_id.channel,
        idempotency_key=idempotency_key,
        segments=max(count_segments(body).segments, 1),
        auto_kind=auto_kind,
    )


def attachment_store(*, message: Message, upload: UploadedFile) -> Attachment:
    """Store an uploaded file as an attachment of ``message`` through Django's storage."""
    content_type = (
        getattr(upload, "content_type", "")
        or mimetypes.guess_type(upload.name or "")[0]
        or "application/octet-stream"
    )
    attachment = Attachment(
        message=message,
        content_type=content_type,
        size=upload.size or 0,
        original_name=(upload.name or "")[:255],
    )
    attachment.file.save(upload.name or "attachment", upload, save=False)
    attachment.save()
    return attachment


def conversation_record_outbound(
    *, conversation: Conversation, author: User, body: str, at
) -> None:
    """Update the thread summary for an outgoing message sent by ``author``."""
    fields = {
        "last_outbound_at": at,
        "last_activity_at": at,
        "changed_at": at,
        "last_message_preview": preview_of(body),
        "last_message_direction": MessageDirection.OUTBOUND,
        "last_sender": author,
        "waiting_since": None,
    }
    if conversation.owner_id is None:
        fields["owner"] = author
        fields["status"] = Conversation.Status.ASSIGNED
    Conversation.objects.filter(pk=conversation.pk).update(
        **fields, first_response_at=first_response_on_send(at=at)
    )
    for name, value in fields.items():
        setattr(conversation, name, value)
    Participation.objects.bulk_create(
        [Participation(user=author, conversation=conversation, last_sent_at=at)],
        update_conflicts=True,
        unique_fields=["user", "conversation"],
        update_fields=["last_sent_at"],
    )


def enqueue_dispatch(message_id: int, *, countdown: float = 0) -> None:
    from ..tasks import deliver_message  # tasks import services: import here, not at the top

    deliver_message.apply_async(args=[message_id], countdown=countdown)


def dispatch_paced_on_commit(*, message: Message, sender_id: int) -> None:
    """Give ``message`` the next send slot of its sender ID; enqueue its delivery for that
    slot when the caller's transaction commits.

    Call it last inside the caller's ``transaction.atomic``: it holds the sender ID's row
    lock until the commit, and every path locks the conversation first, the sender ID last.
    """
    slot = sender_send_slot_reserve(sender_id=sender_id, segments=message.segments)
    if slot > timezone.now():
        # Stuck-message recovery leaves a message alone until its slot has come.
        message.scheduled_for = slot
        Message.objects.filter(pk=message.pk).update(scheduled_for=slot)
    transaction.on_commit(
        lambda: enqueue_dispatch(
            message.pk, countdown=max((slot - timezone.now()).total_seconds(), 0)
        )
    )


def sender_send_slot_reserve(*, sender_id: int, segments: int) -> datetime:
    """Reserve send time for ``segments`` on a sender ID; return when the send may start.

    A sender ID sends ``rate_per_second`` segments per second. Each send takes the slot at
    ``next_send_at`` (or now) and moves it forward by its own duration, under a row lock, so
    concurrent sends from many web and worker processes queue up instead of bursting. Call
    it inside a transaction: the lock is held until it ends.
    """
    sender = (
        SenderId.objects.select_for_update()
        .only("rate_per_second", "next_send_at")
        .get(pk=sender_id)
    )
    now = timezone.now()
    start = max(now, sender.next_send_at or now)
    rate = float(sender.rate_per_second) or 1.0
    duration = timedelta(seconds=max(segments, 1) / rate)
    SenderId.objects.filter(pk=sender_id).update(next_send_at=start + duration)
    return start


def message_dispatch(*, message_id: int) -> DispatchOutcome:
    """Hand one queued message to its channel's provider, at most once.

    The claim is a conditional UPDATE (queued, no provider id, not claimed): two workers
    given the same task cannot both send. A transient failure releases the claim so a
    retry may claim it again; a permanent one fails the message with the provider's reason.
    """
    claimed = Message.objects.filter(
        pk=message_id,
        status=MessageStatus.QUEUED,
        provider_sid__isnull=True,
        dispatch_started_at__isnull=True,
    ).update(dispatch_started_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return DispatchOutcome()
    message = Message.objects.select_related(
        "conversation__sender_id", "conversation__contact"
    ).get(pk=message_id)
    if message.conversation.contact.sms_opted_out_at is not None:
        message_status_apply(
            message_id=message_id, status=MessageStatus.FAILED, error_code="opted_out"
        )
        return DispatchOutcome()
    try:
        result = adapter_for(message.channel).send(message)
    except SendError as error:
        if error.transient:
            Message.objects.filter(pk=message_id).update(dispatch_started_at=None)
            return DispatchOutcome(retry=True, error=error)
        log.warning("send %s refused: %s", message.public_id, error)
        message_status_apply(
            message_id=message_id,
            status=MessageStatus.FAILED,
            error_code=error.code,
            error_detail=error.detail,
        )
        return DispatchOutcome(error=error)
    message_provider_sid_store(
        message_id=message_id, channel=message.channel, provider_sid=result.provider_sid
    )
    provider_status = PROVIDER_STATUS.get(result.status)
    if provider_status not in (None, MessageStatus.QUEUED):
        # Found by a look-up after a lost answer: the provider may be further along already.
        message_status_apply(message_id=message_id, status=provider_status)
    return DispatchOutcome(sent=True)


def message_fail_after_retries(*, message_id: int, error: SendError) -> None:
    """Give up on a transient error that outlasted every retry."""
    message_status_apply(
        message_id=message_id,
        status=MessageStatus.FAILED,
        error_code=error.code,
        error_detail=error.detail,
    )

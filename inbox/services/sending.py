"""Outbound messages: checked and saved first, then handed to the channel by a task (F-OP2)."""

import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from converse.counters import SENDS
from converse.logs import log_about_message

from ..access import can_send_in
from ..channels import SendError, adapter_for
from ..enqueue import enqueue
from ..live_events import event_record
from ..models import (
    Attachment,
    AutoKind,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    Participation,
    SenderId,
    User,
    WhatsAppTemplate,
)
from ..pure.segments import count_segments
from ..reports.metrics import first_response_on_send
from ..reports.tally import tally_add
from .contact_activity import contact_touch
from .opt_out import contact_opt_out
from .refusals import SendRefused
from .reply_window import check_channel_send
from .service_levels import auto_close_due
from .status import PROVIDER_STATUS, message_provider_sid_store, message_status_apply
from .teams import conversation_reply_take_over

log = logging.getLogger(__name__)
SUBJECT_MAX_LENGTH = Message._meta.get_field("subject").max_length


@dataclass(frozen=True)
class DispatchOutcome:
    """What one dispatch attempt did, for the task to act on."""

    sent: bool = False
    retry: bool = False
    error: SendError | None = None
    public_id: str = ""  # of the message, for the task's log lines


def preview_of(body: str) -> str:
    return " ".join(body.split())[:140]


def media_preview(count: int) -> str:
    return "" if not count else ("📎 Attachment" if count == 1 else f"📎 {count} attachments")


def too_long(body: str) -> str:
    """What to tell the agent about a body over MESSAGE_MAX_LENGTH, or "" when it fits."""
    limit = settings.MESSAGE_MAX_LENGTH
    if len(body) <= limit:
        return ""
    return (
        f"The message is {len(body):,} characters; the limit is {limit:,}. "
        f"Shorten it by {len(body) - limit:,}."
    )


def check_can_send(
    *,
    conversation: Conversation,
    author: User,
    body: str,
    media_count: int = 0,
    template: WhatsAppTemplate | None = None,
    sends_at: datetime | None = None,
) -> str:
    """Validate a send and return the body to store; raise SendRefused with the reason.

    ``template`` is the registered WhatsApp template sent, if any; ``sends_at`` is when
    the message would go, when that is later than now (held for business hours).
    """
    body = (body or "").strip()
    if not body and not media_count:
        raise SendRefused("Write a message before sending.")
    if media_count > settings.MESSAGE_MAX_MEDIA:
        raise SendRefused(f"Attach at most {settings.MESSAGE_MAX_MEDIA} files to one message.")
    if problem := too_long(body):
        raise SendRefused(problem)
    if not can_send_in(author, conversation):
        raise SendRefused("You cannot reply in this conversation; grab or join it first.")
    check_not_opted_out(conversation=conversation)
    check_channel_send(
        conversation=conversation,
        content_sid=template.content_sid if template else "",
        template=template,
        sends_at=sends_at,
    )
    return body


def check_not_opted_out(*, conversation: Conversation) -> None:
    opted_out = contact_opt_out(contact=conversation.contact)
    if opted_out is not None:
        raise SendRefused(f"{opted_out.sentence} Nothing can be sent until they text START.")


def message_send(
    *,
    conversation: Conversation,
    author: User,
    body: str,
    idempotency_key: str | None = None,
    media: Sequence[UploadedFile] = (),
    template: WhatsAppTemplate | None = None,
    content_variables: dict[str, str] | None = None,
    subject: str = "",
) -> Message:
    """Save an outgoing message (and its media) as queued; enqueue delivery once it commits,
    or hold it until its sender ID's business hours open.

    ``subject`` is an e-mail's (blank: the thread's, "Re: …", chosen when it is sent).

    A registered WhatsApp ``template`` comes with its ``content_variables``, ``body`` the
    text the customer sees (``whatsapp_template_send``). A freeform WhatsApp message that
    would be held past the 24-hour window is refused: it could never be delivered.

    With an ``idempotency_key`` already used, returns the message it created instead of
    sending again (double click, resubmitted form). The key's unique constraint decides: a
    fresh key, the usual case, costs no look-up.
    """
    from .held_messages import hold_until  # held messages import this module

    now = timezone.now()
    try:
        opens = hold_until(sender=conversation.sender_id, at=now)
        body = check_can_send(
            conversation=conversation,
            author=author,
            body=body,
            media_count=len(media),
            template=template,
            sends_at=opens,
        )
    except SendRefused:
        # A resubmitted form whose first send went out before the refusal applied (the
        # customer opted out since, say): that send stands, as if the form were new.
        if idempotency_key and (existing := _sent_with_key(idempotency_key, conversation, author)):
            return existing
        raise
    try:
        with transaction.atomic():
            message = _outbound_save(
                conversation=conversation,
                author=author,
                body=body,
                idempotency_key=idempotency_key or None,
                content_sid=template.content_sid if template else "",
                content_variables=content_variables,
                subject=subject,
            )
            for upload in media:
                attachment_store(message=message, upload=upload)
            conversation_record_outbound(
                conversation=conversation,
                author=author,
                body=body or media_preview(len(media)),
                at=now,
            )
            dispatch_or_hold_on_commit(message=message, conversation=conversation, opens=opens)
            tally_add(message)
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


def dispatch_or_hold_on_commit(
    *, message: Message, conversation: Conversation, opens: datetime | None
) -> None:
    """Dispatch an agent's message, or hold it until ``opens``, when its sender ID's
    business hours open (F-CP4, ``services.held_messages.hold_until``). Call it where
    ``dispatch_paced_on_commit`` goes."""
    from .held_messages import message_hold  # held messages import this module

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

    Every other kind is checked as an agent's message is: never to an opted-out customer,
    and on a channel with a reply window (WhatsApp) only while it is open.

    The answer to HELP goes even to a customer who opted out: carriers require HELP to be
    answered whatever the customer's consent (CTIA guidelines), and it carries only the
    organisation's contact details and how to opt back in.
    """
    if kind != AutoKind.HELP:
        check_not_opted_out(conversation=conversation)
        check_channel_send(conversation=conversation)
    now = timezone.now()
    with transaction.atomic():
        message = _outbound_save(conversation=conversation, author=None, body=body, auto_kind=kind)
        Conversation.objects.filter(pk=conversation.pk).update(last_outbound_at=now, changed_at=now)
        event_record(kind="message_out", conversations=[conversation])
        dispatch_paced_on_commit(message=message, sender_id=conversation.sender_id_id)
    return message


def _outbound_save(
    *,
    conversation: Conversation,
    author: User | None,
    body: str,
    idempotency_key: str | None = None,
    content_sid: str = "",
    content_variables: dict[str, str] | None = None,
    auto_kind: str = "",
    subject: str = "",
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
        content_sid=content_sid,
        content_variables=content_variables,
        segments=max(count_segments(body).segments, 1),
        auto_kind=auto_kind,
        subject=subject[:SUBJECT_MAX_LENGTH],
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
    """Update the thread summary for an outgoing message sent by ``author``.

    An outreach (a send to a customer quiet for longer than the auto-close delay, whose
    conversation would close on the next sweep) starts that delay again from the send:
    the conversation stays open, waiting for the customer's answer.
    """
    fields = {
        "last_outbound_at": at,
        "last_activity_at": at,
        "last_message_preview": preview_of(body),
        "last_message_direction": MessageDirection.OUTBOUND,
        "last_sender": author,
        "waiting_since": None,
        "listed": True,  # an agent writing in a campaign's thread opens it
        # A person's reply takes the conversation from the bot (F-AU5).
        "with_bot": False,
    }
    if _auto_close_passed(conversation, at):
        fields["auto_close_at"] = auto_close_due(
            sender=conversation.sender_id, last_inbound_at=at
        ) or at + timedelta(seconds=settings.AUTO_CLOSE_AFTER_SECONDS)
    conversation_reply_take_over(conversation=conversation, author=author)
    event_record(kind="message_out", conversations=[conversation])
    if conversation.owner_id is None:
        fields["owner"] = author
        fields["status"] = Conversation.Status.ASSIGNED
    # Stamped as it is written, not when the send began: its checks, upload and the updates
    # above may wait longer than the commit slack (``versions.COMMIT_SLACK``).
    fields["changed_at"] = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        **fields, first_response_at=first_response_on_send(at=at)
    )
    contact_touch(contact_id=conversation.contact_id, at=at)
    for name, value in fields.items():
        setattr(conversation, name, value)
    Participation.objects.bulk_create(
        [Participation(user=author, conversation=conversation, last_sent_at=at)],
        update_conflicts=True,
        unique_fields=["user", "conversation"],
        update_fields=["last_sent_at"],
    )


def _auto_close_passed(conversation: Conversation, at: datetime) -> bool:
    """Whether ``conversations_auto_close`` would close ``conversation`` at ``at``."""
    if conversation.auto_close_at is not None:
        return conversation.auto_close_at <= at
    quiet_since = conversation.last_inbound_at or conversation.created_at
    return quiet_since < at - timedelta(seconds=settings.AUTO_CLOSE_AFTER_SECONDS)


def enqueue_dispatch(message_id: int, *, countdown: float = 0) -> bool:
    """Queue the delivery of a saved message; False when the broker cannot be reached.

    A send is saved before it is queued, so a broker outage loses nothing: the message
    stays queued and unclaimed, and the stuck-message sweep queues it again once the broker
    answers (``inbox.tasks.recover_stuck_messages``). The agent's request never fails for it.
    """
    from ..tasks import deliver_message  # tasks import services: import here, not at the top

    return enqueue(deliver_message, message_id, countdown=countdown)


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

    def enqueue() -> None:
        with log_about_message(message.public_id):
            enqueue_dispatch(message.pk, countdown=max((slot - timezone.now()).total_seconds(), 0))

    transaction.on_commit(enqueue)


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


def message_dispatch(*, message_id: int, retry_in: float = 0) -> DispatchOutcome:
    """Hand one queued message to its channel's provider, at most once.

    The claim is a conditional UPDATE (queued, no provider id, not claimed): two workers
    given the same task cannot both send. A transient failure releases the claim and holds
    the message until its retry is due (``retry_in`` seconds): the retry claims it again,
    and should the retry never be queued, the stuck-message sweep finds it then. A
    permanent failure fails the message with the provider's reason.
    """
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id,
        status=MessageStatus.QUEUED,
        provider_sid__isnull=True,
        dispatch_started_at__isnull=True,
    ).update(
        dispatch_started_at=now,
        first_dispatch_at=Coalesce("first_dispatch_at", Value(now)),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return DispatchOutcome()
    message = Message.objects.select_related(
        "conversation__sender_id", "conversation__contact"
    ).get(pk=message_id)
    with log_about_message(message.public_id):
        return _dispatch_claimed(message, retry_in=retry_in)


def _dispatch_claimed(message: Message, *, retry_in: float) -> DispatchOutcome:
    message_id = message.pk
    if (
        message.conversation.contact.sms_opted_out_at is not None
        and message.auto_kind != AutoKind.HELP
    ):
        SENDS.labels(outcome="failed", code="opted_out").inc()
        message_status_apply(
            message_id=message_id, status=MessageStatus.FAILED, error_code="opted_out"
        )
        return DispatchOutcome()
    try:
        # The window may have closed, consent been withdrawn or the template been paused
        # since the message was saved (held for business hours, or retried).
        check_channel_send(conversation=message.conversation, content_sid=message.content_sid)
    except SendRefused as refused:
        SENDS.labels(outcome="failed", code=refused.code).inc()
        message_status_apply(
            message_id=message_id,
            status=MessageStatus.FAILED,
            error_code=refused.code,
            error_detail=str(refused),
        )
        return DispatchOutcome()
    try:
        result = adapter_for(message.channel).send(message)
    except SendError as error:
        if error.transient:
            SENDS.labels(outcome="retry", code=error.code).inc()
            log.info("send %s to be retried in %g s: %s", message.public_id, retry_in, error)
            Message.objects.filter(pk=message_id).update(
                dispatch_started_at=None, scheduled_for=timezone.now() + timedelta(seconds=retry_in)
            )
            return DispatchOutcome(retry=True, error=error, public_id=message.public_id)
        SENDS.labels(outcome="failed", code=error.code).inc()
        log.warning("send %s refused: %s", message.public_id, error)
        message_status_apply(
            message_id=message_id,
            status=MessageStatus.FAILED,
            error_code=error.code,
            error_detail=error.detail,
        )
        return DispatchOutcome(error=error)
    SENDS.labels(outcome="sent", code="").inc()
    log.info("send %s handed to the provider as %s", message.public_id, result.provider_sid)
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
    SENDS.labels(outcome="failed", code=error.code).inc()
    message_status_apply(
        message_id=message_id,
        status=MessageStatus.FAILED,
        error_code=error.code,
        error_detail=error.detail,
    )


def stuck_messages_requeue(*, now: datetime) -> int:
    """Queue again the sends a dead worker or a lost task left unsent; how many were queued.

    A message is stuck when it is still queued without a provider id and unclaimed
    ``STUCK_MESSAGE_AFTER_SECONDS`` after it was due (saved, or the send slot or retry time
    it was held to) and after the sweep last queued it: behind a long backlog its task may
    still be on its way, and one more each period is enough. A claim older than
    ``SEND_CLAIM_LEASE_SECONDS`` is released first: its worker is gone. The next attempt
    looks the message up at the provider before sending, in case the dead worker's request
    got through.
    """
    cutoff = now - timedelta(seconds=settings.STUCK_MESSAGE_AFTER_SECONDS)
    Message.objects.filter(
        status=MessageStatus.QUEUED,
        provider_sid__isnull=True,
        dispatch_started_at__lt=now - timedelta(seconds=settings.SEND_CLAIM_LEASE_SECONDS),
    ).update(dispatch_started_at=None)
    stuck = Message.objects.filter(
        Q(scheduled_for__isnull=True) | Q(scheduled_for__lt=cutoff),
        Q(requeued_at__isnull=True) | Q(requeued_at__lt=cutoff),
        status=MessageStatus.QUEUED,
        provider_sid__isnull=True,
        created_at__lt=cutoff,
        dispatch_started_at__isnull=True,
    )
    ids = list(stuck.values_list("pk", flat=True)[:500])
    queued = [message_id for message_id in ids if enqueue_dispatch(message_id)]
    Message.objects.filter(pk__in=queued).update(requeued_at=now)
    return len(queued)

"""Outbound messages: checked and saved first, then handed to the channel by a task (F-OP2)."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..access import can_send_in
from ..channels import SendError, adapter_for
from ..models import (
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
    Participation,
    User,
)
from ..segments import count_segments
from .status import message_status_apply

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


def check_can_send(*, conversation: Conversation, author: User, body: str) -> str:
    """Validate a send and return the body to store; raise SendRefused with the reason."""
    body = (body or "").strip()
    if not body:
        raise SendRefused("Write a message before sending.")
    if len(body) > settings.MESSAGE_MAX_LENGTH:
        raise SendRefused(
            f"The message is {len(body)} characters; the limit is {settings.MESSAGE_MAX_LENGTH}."
        )
    if not can_send_in(author, conversation):
        raise SendRefused("You cannot reply in this conversation; grab or join it first.")
    if conversation.contact.sms_opted_out_at is not None:
        raise SendRefused(
            "The customer has opted out (they replied STOP). Nothing can be sent until they "
            "text START."
        )
    return body


def message_send(
    *,
    conversation: Conversation,
    author: User,
    body: str,
    idempotency_key: str | None = None,
) -> Message:
    """Save an outgoing message as queued and enqueue its delivery once the save commits.

    With an ``idempotency_key`` already used, returns the message it created instead of
    sending again (double click, resubmitted form).
    """
    if idempotency_key:
        existing = Message.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    body = check_can_send(conversation=conversation, author=author, body=body)
    now = timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                direction=MessageDirection.OUTBOUND,
                author=author,
                body=body,
                status=MessageStatus.QUEUED,
                channel=conversation.sender_id.channel,
                idempotency_key=idempotency_key or None,
                segments=count_segments(body).segments,
            )
            conversation_record_outbound(
                conversation=conversation, author=author, body=body, at=now
            )
            transaction.on_commit(lambda: enqueue_dispatch(message.pk))
    except IntegrityError:
        # The same key won a race with us: that send stands, ours is the duplicate.
        if idempotency_key:
            existing = Message.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        raise
    return message


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
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    for name, value in fields.items():
        setattr(conversation, name, value)
    Participation.objects.update_or_create(
        user=author, conversation=conversation, defaults={"last_sent_at": at}
    )


def enqueue_dispatch(message_id: int, *, countdown: float = 0) -> None:
    from ..tasks import deliver_message  # tasks import services: import here, not at the top

    deliver_message.apply_async(args=[message_id], countdown=countdown)


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
    Message.objects.filter(pk=message_id).update(provider_sid=result.provider_sid)
    return DispatchOutcome(sent=True)


def message_fail_after_retries(*, message_id: int, error: SendError) -> None:
    """Give up on a transient error that outlasted every retry."""
    message_status_apply(
        message_id=message_id,
        status=MessageStatus.FAILED,
        error_code=error.code,
        error_detail=error.detail,
    )

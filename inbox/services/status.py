"""Outbound message status: the one place that says which transitions are allowed (F-CV4).

Status only moves forward: queued → sent → delivered → read. Failed and undelivered are
final and may only replace a status before delivered. Late, repeated or out-of-order
provider callbacks therefore never move a message back. A callback that comes before the
sending worker stored the message's SID is kept (``EarlyStatus``) and applied when it does.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..live_events import event_record
from ..models import Conversation, EarlyStatus, Message, MessageStatus
from ..pure.provider_errors import describe

S = MessageStatus
RANK = {S.SCHEDULED: 0, S.QUEUED: 1, S.SENT: 2, S.DELIVERED: 3, S.READ: 4}
FINAL = {S.FAILED, S.UNDELIVERED}

# Provider words mapped onto ours; the ones absent here (accepted, sending, receiving…)
# carry no news for the agent and are ignored.
PROVIDER_STATUS = {
    "queued": S.QUEUED,
    "scheduled": S.QUEUED,
    "sent": S.SENT,
    "delivered": S.DELIVERED,
    "read": S.READ,
    "failed": S.FAILED,
    "undelivered": S.UNDELIVERED,
    "canceled": S.FAILED,
}

_TIMESTAMP_FIELD = {S.SENT: "sent_at", S.DELIVERED: "delivered_at", S.READ: "read_at"}


def can_transition(current: str, new: str) -> bool:
    if current in FINAL or current == new:
        return False
    if new in FINAL:
        return RANK.get(current, 0) < RANK[S.DELIVERED]
    return RANK.get(new, -1) > RANK.get(current, -1)


def message_status_apply(
    *, message_id: int, status: str, error_code: str = "", error_detail: str = ""
) -> bool:
    """Move a message to ``status`` if that is forward; return whether it changed.

    Locks the message row, so concurrent callbacks for one message apply in turn.
    """
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .only("status", "conversation_id", "sent_at", "delivered_at", "read_at")
            .get(pk=message_id)
        )
        if not can_transition(message.status, status):
            return False
        fields: dict[str, object] = {"status": status}
        if status in _TIMESTAMP_FIELD:
            # A callback may skip a step (delivered before sent): stamp the skipped steps
            # too, but keep the real time of a step already recorded.
            for step, field in _TIMESTAMP_FIELD.items():
                if RANK[step] <= RANK[status] and getattr(message, field) is None:
                    fields[field] = now
        if status in FINAL:
            error = describe(error_code, error_detail)
            fields["error_code"] = error.code
            fields["error_reason"] = error.reason
        Message.objects.filter(pk=message_id).update(**fields)
        Conversation.objects.filter(pk=message.conversation_id).update(changed_at=now)
        event_record(
            kind="message_status",
            conversations=[message.conversation_id],
            data={"status": status},
        )
    return True


def _message_with_sid(channel: str, provider_sid: str) -> int | None:
    return (
        Message.objects.filter(channel=channel, provider_sid=provider_sid)
        .values_list("pk", flat=True)
        .first()
    )


def provider_status_apply(
    *, channel: str, provider_sid: str, status: str, error_code: str = ""
) -> bool:
    """Apply a provider's status callback; return whether the message changed.

    Uninteresting words are ignored. A SID we have not stored yet is kept as an early
    status, then looked for once more: the sender may have stored it meanwhile.
    """
    ours = PROVIDER_STATUS.get((status or "").lower())
    if ours is None:
        return False
    message_id = _message_with_sid(channel, provider_sid)
    if message_id is None:
        EarlyStatus.objects.create(
            channel=channel, provider_sid=provider_sid, status=ours, error_code=error_code
        )
        return early_statuses_apply(channel=channel, provider_sid=provider_sid)
    return message_status_apply(message_id=message_id, status=ours, error_code=error_code)


def message_provider_sid_store(*, message_id: int, channel: str, provider_sid: str) -> None:
    """Record the provider's SID of a message just handed over; apply callbacks that beat it.

    Call outside a transaction (or after it commits), like ``provider_status_apply`` keeps
    early statuses outside one: each side commits its write before looking for the other's,
    so a callback and its SID arriving together are never both missed.
    """
    Message.objects.filter(pk=message_id).update(provider_sid=provider_sid)
    early_statuses_apply(channel=channel, provider_sid=provider_sid)


def early_statuses_apply(*, channel: str, provider_sid: str) -> bool:
    """Apply the kept callbacks for ``provider_sid`` in the order they came, then forget them.

    Does nothing until the SID belongs to a message. The callback and the sender may both
    get here for the same rows: applying a status twice changes nothing.
    """
    early = list(
        EarlyStatus.objects.filter(channel=channel, provider_sid=provider_sid).order_by("pk")
    )
    if not early:
        return False
    message_id = _message_with_sid(channel, provider_sid)
    if message_id is None:
        return False
    changed = False
    for kept in early:
        changed |= message_status_apply(
            message_id=message_id, status=kept.status, error_code=kept.error_code
        )
    EarlyStatus.objects.filter(pk__in=[kept.pk for kept in early]).delete()
    return changed


def early_statuses_forget(*, received_before: datetime) -> int:
    """Drop kept callbacks whose SID never became one of our messages; return how many."""
    deleted, _ = EarlyStatus.objects.filter(received_at__lt=received_before).delete()
    return deleted

"""Conversation status changes (F-CV5): close, reopen and auto-close, defined once.

The transitions an agent or the clock may ask for:

- open or assigned → closed (a close);
- closed → open (a reopen), which lands on assigned when the conversation has an owner.

Every change records one STATUS event, ``data={"from": …, "to": …}``, whose body is
"Closed", "Reopened" or the auto-close reason. Assigning is ``services.assignment``; a
customer message reopens through ``services.inbound``.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..access import can_send_in
from ..happenings import Happening, announce
from ..live_events import event_record
from ..models import Conversation, ConversationEvent, User

S = Conversation.Status
TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.CLOSED},
    S.ASSIGNED: {S.CLOSED},
    S.CLOSED: {S.OPEN},
}
REFUSALS = {
    S.CLOSED: "This conversation is already closed.",
    S.OPEN: "This conversation is not closed.",
}
AUTO_CLOSE_BATCH = 500


class StatusRefused(Exception):
    """A status change that does not apply (already closed, not closed)."""


def can_set_status(current: str, requested: str) -> bool:
    return requested in TRANSITIONS.get(current, set())


def _apply(
    *, locked: Iterable[Conversation], status: str, by: User | None, body: str, now: datetime
) -> list[Conversation]:
    """Move each of the ``locked`` rows that allows it to ``status``; the caller holds the
    row locks, so a concurrent change waits and then finds the new status."""
    changed: list[Conversation] = []
    events: list[ConversationEvent] = []
    for conversation in locked:
        if not can_set_status(conversation.status, status):
            continue
        before = conversation.status
        if status == S.CLOSED:
            conversation.status, conversation.closed_at = S.CLOSED, now
            conversation.waiting_since = None
            conversation.with_bot = False  # a bot's talk ends with it (F-AU5)
        else:
            conversation.status = S.ASSIGNED if conversation.owner_id else S.OPEN
            conversation.closed_at = None
        # Stamped as it is written: an auto-close run's later batches commit long after
        # the run began, and a stamp must not be older than its commit by more than the
        # commit slack (``versions.COMMIT_SLACK``).
        conversation.changed_at = timezone.now()
        changed.append(conversation)
        events.append(
            ConversationEvent(
                conversation=conversation,
                kind=ConversationEvent.Kind.STATUS,
                actor=by,
                body=body,
                data={"from": before, "to": conversation.status},
            )
        )
        announce(
            Happening.CLOSED if status == S.CLOSED else Happening.REOPENED,
            conversation_id=conversation.pk,
        )
    Conversation.objects.bulk_update(
        changed, ["status", "closed_at", "waiting_since", "with_bot", "changed_at"]
    )
    ConversationEvent.objects.bulk_create(events)
    event_record(kind="status", conversations=changed)
    return changed


def conversations_set_status(
    *, conversations: Iterable[Conversation], status: str, by: User | None
) -> list[Conversation]:
    """Close (``closed``) or reopen (``open``) each of ``conversations`` that allows it.

    Locks the rows in one transaction, so two concurrent closes record one event; a
    conversation for which the change is not a transition, or in which ``by`` may not act
    (a grab-mode conversation someone else owns), is left alone. Returns the conversations
    that changed.
    """
    if status not in (S.OPEN, S.CLOSED):
        raise ValueError(f"Status {status!r} is not set by hand")
    pks = [c.pk for c in conversations if by is None or can_send_in(by, c)]
    body = "Closed" if status == S.CLOSED else "Reopened"
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().filter(pk__in=pks).order_by("pk")
        return _apply(locked=locked, status=status, by=by, body=body, now=timezone.now())


def conversation_set_status(
    *, conversation: Conversation, status: str, by: User | None
) -> Conversation:
    """Close or reopen one conversation; raises StatusRefused when that is not a transition."""
    if not conversations_set_status(conversations=[conversation], status=status, by=by):
        raise StatusRefused(REFUSALS[status])
    conversation.refresh_from_db()
    return conversation


def conversations_auto_close(*, now: datetime | None = None) -> int:
    """Close every conversation without a customer message for AUTO_CLOSE_AFTER_SECONDS
    of open business hours (``auto_close_at``, stored when the customer writes, and
    moved on by an agent's outreach to a customer quiet for longer, so that it waits for
    the answer: ``conversation_record_outbound``; rows without it count wall-clock time).

    Works in batches of locked rows (``skip_locked``: a row an inbound message is updating
    right now is left for the next run, and its new message keeps it open anyway). Returns
    how many conversations were closed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUTO_CLOSE_AFTER_SECONDS)
    quiet = (
        Q(auto_close_at__lte=now)
        | Q(auto_close_at__isnull=True, last_inbound_at__lt=cutoff)
        | Q(last_inbound_at__isnull=True, created_at__lt=cutoff)
    )
    due = Conversation.objects.exclude(status=S.CLOSED).filter(quiet)
    hours = settings.AUTO_CLOSE_AFTER_SECONDS / 3600
    reason = f"Closed automatically after {hours:g} h without a customer message"
    total = 0
    while True:
        with transaction.atomic():
            batch = list(due.select_for_update(skip_locked=True).order_by("pk")[:AUTO_CLOSE_BATCH])
            if not batch:
                return total
            total += len(_apply(locked=batch, status=S.CLOSED, by=None, body=reason, now=now))

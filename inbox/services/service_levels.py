"""Conversation statuses over time and the waiting states agents are measured by (F-CV5).

Waiting states are derived, never stored: a conversation waits while ``waiting_since`` is
set (a customer wrote and nobody has answered). How long it has waited makes it *pending*,
*soon overdue* or *overdue* (thresholds in settings); *rep needed* means nobody owns or has
joined it yet. Closing is manual (from the window) or automatic after a quiet period.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import Conversation, ConversationEvent, Participation, User


class WaitingState:
    REP_NEEDED = "rep_needed"
    PENDING = "pending"
    SOON_OVERDUE = "soon_overdue"
    OVERDUE = "overdue"

    LABELS = {
        REP_NEEDED: "Rep needed",
        PENDING: "Pending",
        SOON_OVERDUE: "Soon overdue",
        OVERDUE: "Overdue",
    }


class StatusRefused(Exception):
    """A status change that does not apply (already closed, already open)."""


def _thresholds() -> tuple[timedelta, timedelta]:
    return (
        timedelta(seconds=settings.SOON_OVERDUE_AFTER_SECONDS),
        timedelta(seconds=settings.OVERDUE_AFTER_SECONDS),
    )


def waiting_state(*, conversation: Conversation, now: datetime | None = None) -> str | None:
    """How urgently the customer waits: pending, soon overdue, overdue, or None."""
    if conversation.waiting_since is None or conversation.status == Conversation.Status.CLOSED:
        return None
    waited = (now or timezone.now()) - conversation.waiting_since
    soon, overdue = _thresholds()
    if waited >= overdue:
        return WaitingState.OVERDUE
    if waited >= soon:
        return WaitingState.SOON_OVERDUE
    return WaitingState.PENDING


def rep_needed(*, conversation: Conversation) -> bool:
    """The customer wrote and nobody owns or has joined the conversation."""
    return (
        conversation.waiting_since is not None
        and conversation.status != Conversation.Status.CLOSED
        and conversation.owner_id is None
        and not conversation.participations.filter(joined_at__isnull=False).exists()
    )


def waiting_q(state: str, *, now: datetime | None = None) -> Q:
    """A filter for conversations in ``state`` (one of WaitingState), for lists and sweeps."""
    now = now or timezone.now()
    soon, overdue = _thresholds()
    waiting = Q(waiting_since__isnull=False) & ~Q(status=Conversation.Status.CLOSED)
    if state == WaitingState.REP_NEEDED:
        joined = Participation.objects.filter(conversation=OuterRef("pk"), joined_at__isnull=False)
        return waiting & Q(owner__isnull=True) & ~Q(Exists(joined))
    if state == WaitingState.PENDING:
        return waiting & Q(waiting_since__gt=now - soon)
    if state == WaitingState.SOON_OVERDUE:
        return waiting & Q(waiting_since__lte=now - soon, waiting_since__gt=now - overdue)
    if state == WaitingState.OVERDUE:
        return waiting & Q(waiting_since__lte=now - overdue)
    raise ValueError(f"unknown waiting state {state!r}")


def conversation_close(
    *, conversation: Conversation, by: User | None, reason: str = ""
) -> Conversation:
    """Close ``conversation`` and record who did it; a new customer message reopens it.

    A conditional UPDATE (status is not closed) makes two concurrent closes record one
    event. Raises StatusRefused when it is already closed.
    """
    now = timezone.now()
    with transaction.atomic():
        closed = (
            Conversation.objects.filter(pk=conversation.pk)
            .exclude(status=Conversation.Status.CLOSED)
            .update(
                status=Conversation.Status.CLOSED,
                closed_at=now,
                waiting_since=None,
                changed_at=now,
            )
        )
        if not closed:
            raise StatusRefused("This conversation is already closed.")
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.STATUS,
            actor=by,
            body=reason or "Closed",
            data={"to": Conversation.Status.CLOSED},
        )
    conversation.refresh_from_db()
    return conversation


def conversation_reopen(*, conversation: Conversation, by: User) -> Conversation:
    """Reopen a closed conversation: assigned when it has an owner, open otherwise.

    Locks the conversation row, so a concurrent close or reopen applies after this one.
    """
    now = timezone.now()
    with transaction.atomic():
        current = (
            Conversation.objects.select_for_update().only("status", "owner").get(pk=conversation.pk)
        )
        if current.status != Conversation.Status.CLOSED:
            raise StatusRefused("This conversation is not closed.")
        status = Conversation.Status.ASSIGNED if current.owner_id else Conversation.Status.OPEN
        Conversation.objects.filter(pk=conversation.pk).update(
            status=status, closed_at=None, changed_at=now
        )
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.STATUS,
            actor=by,
            body="Reopened",
            data={"to": status},
        )
    conversation.refresh_from_db()
    return conversation


AUTO_CLOSE_BATCH = 500


def conversations_auto_close(*, now: datetime | None = None) -> int:
    """Close every conversation without a customer message for AUTO_CLOSE_AFTER_SECONDS.

    Works in batches of locked rows (``skip_locked``: a row an inbound message is updating
    right now is left for the next run, and its new message keeps it open anyway). The
    UPDATE repeats the quiet-period condition, so a message that slipped in is respected.
    Returns how many conversations were closed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUTO_CLOSE_AFTER_SECONDS)
    quiet = Q(last_inbound_at__lt=cutoff) | Q(last_inbound_at__isnull=True, created_at__lt=cutoff)
    due = Conversation.objects.exclude(status=Conversation.Status.CLOSED).filter(quiet)
    hours = settings.AUTO_CLOSE_AFTER_SECONDS / 3600
    reason = f"Closed automatically after {hours:g} h without a customer message"
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                due.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:AUTO_CLOSE_BATCH]
            )
            if not ids:
                return total
            Conversation.objects.filter(quiet, pk__in=ids).update(
                status=Conversation.Status.CLOSED, closed_at=now, waiting_since=None, changed_at=now
            )
            ConversationEvent.objects.bulk_create(
                ConversationEvent(
                    conversation_id=pk,
                    kind=ConversationEvent.Kind.STATUS,
                    body=reason,
                    data={"to": Conversation.Status.CLOSED, "auto": True},
                )
                for pk in ids
            )
        total += len(ids)


def service_levels_tick(*, period_seconds: float, now: datetime | None = None) -> int:
    """Mark as changed the waiting conversations that became soon overdue or overdue.

    Waiting states are derived from the clock, so nothing else touches a conversation when
    it crosses a threshold; bumping ``changed_at`` lets every open inbox redraw it live.
    Run every ``period_seconds``; a window slightly longer than the period overlaps the
    previous run, which costs a harmless second bump, never a missed one.
    """
    now = now or timezone.now()
    window = timedelta(seconds=period_seconds * 1.5)
    crossed = Q()
    for threshold in _thresholds():
        crossed |= Q(waiting_since__lte=now - threshold, waiting_since__gt=now - threshold - window)
    return (
        Conversation.objects.filter(crossed, waiting_since__isnull=False)
        .exclude(status=Conversation.Status.CLOSED)
        .update(changed_at=now)
    )

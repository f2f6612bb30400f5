"""Conversation statuses over time and the waiting states agents are measured by (F-CV5).

Waiting states are derived, never stored: a conversation waits while ``waiting_since`` is
set (a customer wrote and nobody has answered). How long it has waited makes it *pending*,
*soon overdue* or *overdue* (thresholds in settings); *rep needed* means nobody owns or has
joined it yet. Closing, by hand or automatically, is ``services.conversation_status``.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import Conversation, Participation


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

"""Waiting states (F-CV5), derived from the conversation summary; defined here only.

A customer is waiting from ``waiting_since`` (their first unanswered message) until someone
replies. While waiting, a conversation is:

- *rep needed* when no one has taken part yet (nobody replied in it or joined it),
- *pending* otherwise (someone took part; the customer awaits the next reply),

and, by age, *soon overdue* after ``WAITING_SOON_OVERDUE_SECONDS`` and *overdue* after
``WAITING_OVERDUE_SECONDS``. Lists filter with ``waiting_q`` and show ``waiting_state``;
periodic tasks use ``waiting_q`` with the same thresholds.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.enums import TextChoices

from .models import Conversation, Participation


class WaitingState(TextChoices):
    REP_NEEDED = "rep_needed", "Rep needed"
    PENDING = "pending", "Pending"
    SOON_OVERDUE = "soon_overdue", "Soon overdue"
    OVERDUE = "overdue", "Overdue"


def soon_overdue_after() -> timedelta:
    return timedelta(seconds=settings.WAITING_SOON_OVERDUE_SECONDS)


def overdue_after() -> timedelta:
    return timedelta(seconds=settings.WAITING_OVERDUE_SECONDS)


def with_participants(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Annotate ``has_participant``: someone replied in or joined the conversation."""
    return qs.annotate(
        has_participant=Exists(Participation.objects.filter(conversation=OuterRef("pk")))
    )


def waiting_q(state: str, *, now: datetime) -> Q:
    """Conversations in ``state`` at ``now``; REP_NEEDED and PENDING need ``with_participants``."""
    waiting = Q(waiting_since__isnull=False)
    if state == WaitingState.REP_NEEDED:
        return waiting & Q(has_participant=False)
    if state == WaitingState.PENDING:
        return waiting & Q(has_participant=True)
    if state == WaitingState.SOON_OVERDUE:
        return Q(
            waiting_since__lte=now - soon_overdue_after(), waiting_since__gt=now - overdue_after()
        )
    if state == WaitingState.OVERDUE:
        return Q(waiting_since__lte=now - overdue_after())
    raise ValueError(f"Unknown waiting state {state!r}")


def waiting_state(
    *, waiting_since: datetime | None, has_participant: bool, now: datetime
) -> WaitingState | None:
    """The most urgent state of one conversation, for its badge; None when nobody waits."""
    if waiting_since is None:
        return None
    waited = now - waiting_since
    if waited >= overdue_after():
        return WaitingState.OVERDUE
    if waited >= soon_overdue_after():
        return WaitingState.SOON_OVERDUE
    return WaitingState.PENDING if has_participant else WaitingState.REP_NEEDED

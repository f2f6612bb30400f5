"""Waiting states (F-CV5), derived from the conversation summary; defined here only.

A conversation *waits* while ``waiting_since`` is set (a customer wrote and nobody has
answered yet) and it is not closed. Its badge shows how long, the most urgent first:
*overdue* after ``OVERDUE_AFTER_SECONDS``, *soon overdue* after
``SOON_OVERDUE_AFTER_SECONDS``, *pending* before. *Rep needed* is a separate flag beside
it: the conversation waits, nobody owns it and nobody has joined it.

Lists filter with ``waiting_q`` and annotate their rows with ``with_anyone_joined``; the
window header asks ``anyone_joined``; both show ``waiting_of``, so a row and its header
always agree. The periodic tick uses ``thresholds``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.enums import TextChoices

from .models import Conversation, Participation


class WaitingState(TextChoices):
    """What the waiting filter offers; a badge shows one of the first three."""

    PENDING = "pending", "Pending"
    SOON_OVERDUE = "soon_overdue", "Soon overdue"
    OVERDUE = "overdue", "Overdue"
    REP_NEEDED = "rep_needed", "Rep needed"


@dataclass(frozen=True)
class Waiting:
    """What one conversation shows: its age state (None when it does not wait) and the flag."""

    state: WaitingState | None
    rep_needed: bool


def thresholds() -> tuple[timedelta, timedelta]:
    """How long a customer waits before the conversation is soon overdue, then overdue."""
    return (
        timedelta(seconds=settings.SOON_OVERDUE_AFTER_SECONDS),
        timedelta(seconds=settings.OVERDUE_AFTER_SECONDS),
    )


def _joined(conversation: Conversation | OuterRef) -> QuerySet[Participation]:
    return Participation.objects.filter(conversation=conversation, joined_at__isnull=False)


def with_anyone_joined(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Annotate ``anyone_joined``, which ``waiting_of`` needs, in the list's own query."""
    return qs.annotate(anyone_joined=Exists(_joined(OuterRef("pk"))))


def anyone_joined(*, conversation: Conversation) -> bool:
    """Whether someone has joined ``conversation``, for one conversation (one query)."""
    return _joined(conversation).exists()


def waiting_q(state: str, *, now: datetime) -> Q:
    """Conversations in ``state`` at ``now``: PENDING is every waiting one, whatever its age."""
    soon, overdue = thresholds()
    waiting = Q(waiting_since__isnull=False) & ~Q(status=Conversation.Status.CLOSED)
    if state == WaitingState.PENDING:
        return waiting
    if state == WaitingState.SOON_OVERDUE:
        return waiting & Q(waiting_since__lte=now - soon, waiting_since__gt=now - overdue)
    if state == WaitingState.OVERDUE:
        return waiting & Q(waiting_since__lte=now - overdue)
    if state == WaitingState.REP_NEEDED:
        return waiting & Q(owner__isnull=True) & ~Q(Exists(_joined(OuterRef("pk"))))
    raise ValueError(f"Unknown waiting state {state!r}")


def waiting_of(*, conversation: Conversation, anyone_joined: bool, now: datetime) -> Waiting:
    """The badge and the rep-needed flag of ``conversation`` at ``now``."""
    if conversation.waiting_since is None or conversation.status == Conversation.Status.CLOSED:
        return Waiting(state=None, rep_needed=False)
    soon, overdue = thresholds()
    waited = now - conversation.waiting_since
    if waited >= overdue:
        state = WaitingState.OVERDUE
    elif waited >= soon:
        state = WaitingState.SOON_OVERDUE
    else:
        state = WaitingState.PENDING
    return Waiting(state=state, rep_needed=conversation.owner_id is None and not anyone_joined)

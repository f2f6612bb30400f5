"""Waiting states (F-CV5), derived from the conversation summary; defined here only.

A conversation *waits* while ``waiting_since`` is set (a customer wrote and nobody has
answered yet) and it is not closed. Its badge shows how long, the most urgent first:
*overdue* after ``OVERDUE_AFTER_SECONDS``, *soon overdue* after
``SOON_OVERDUE_AFTER_SECONDS``, *pending* before. *Rep needed* is a separate flag beside
it: the conversation waits, nobody owns it and nobody has joined it.

Only open business hours count: the due times are computed from the sender ID's hours
when the customer starts to wait and stored on the conversation
(``services.service_levels``). A conversation waiting while closed is *after hours*.
Rows from before the due times were stored count wall-clock time from ``waiting_since``.

Lists filter with ``waiting_q`` and annotate their rows with ``with_anyone_joined``; the
window header asks ``anyone_joined``; both show ``waiting_of``, so a row and its header
always agree. The periodic tick uses ``due_times``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.db.models.enums import TextChoices
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from . import window_facts
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
    # Waiting while the business hours are closed: the clock starts when they open.
    after_hours: bool = False


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
    """Whether someone has joined ``conversation``, for one conversation (one query, none
    when its window facts were read with it)."""
    facts = window_facts.known(conversation)
    if facts is not None:
        return facts.anyone_joined
    return _joined(conversation).exists()


def _due(stored: str, wait: timedelta) -> Coalesce:
    since = ExpressionWrapper(F("waiting_since") + wait, output_field=DateTimeField())
    return Coalesce(stored, since, output_field=DateTimeField())


def due_times() -> tuple[Coalesce, Coalesce, Coalesce]:
    """When the wait starts to count, turns soon overdue, and overdue, as SQL: the stored
    due times, or wall-clock ones for rows without them."""
    soon, overdue = thresholds()
    return (
        Coalesce("waiting_counts_from", "waiting_since", output_field=DateTimeField()),
        _due("soon_overdue_at", soon),
        _due("overdue_at", overdue),
    )


def waiting_q(state: str, *, now: datetime) -> Q:
    """Conversations in ``state`` at ``now``: PENDING is every waiting one, whatever its age."""
    waiting = Q(waiting_since__isnull=False) & ~Q(status=Conversation.Status.CLOSED)
    _, soon_due, overdue_due = due_times()
    if state == WaitingState.PENDING:
        return waiting
    if state == WaitingState.SOON_OVERDUE:
        return waiting & Q(LessThanOrEqual(soon_due, now)) & Q(GreaterThan(overdue_due, now))
    if state == WaitingState.OVERDUE:
        return waiting & Q(LessThanOrEqual(overdue_due, now))
    if state == WaitingState.REP_NEEDED:
        return waiting & Q(owner__isnull=True) & ~Q(Exists(_joined(OuterRef("pk"))))
    raise ValueError(f"Unknown waiting state {state!r}")


def waiting_of(*, conversation: Conversation, anyone_joined: bool, now: datetime) -> Waiting:
    """The badge and the rep-needed flag of ``conversation`` at ``now``."""
    if conversation.waiting_since is None or conversation.status == Conversation.Status.CLOSED:
        return Waiting(state=None, rep_needed=False)
    soon, overdue = thresholds()
    since = conversation.waiting_since
    if now >= (conversation.overdue_at or since + overdue):
        state = WaitingState.OVERDUE
    elif now >= (conversation.soon_overdue_at or since + soon):
        state = WaitingState.SOON_OVERDUE
    else:
        state = WaitingState.PENDING
    return Waiting(
        state=state,
        rep_needed=conversation.owner_id is None and not anyone_joined,
        after_hours=(conversation.waiting_counts_from or since) > now,
    )

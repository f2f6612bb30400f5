"""What every report figure counts. One definition each; all of them are SQL the database
aggregates, over the conversations' summary columns or the messages' period index.

A conversation *opens* when its customer first writes (``Conversation.first_inbound_at``):
outreach nobody answered is not counted as opened. The summary columns are kept by the
inbound and sending services (``first_times_after_inbound``, ``first_response_on_send``);
the first times can be rebuilt from the messages with ``first_times_rebuild``, whereas
``opened_after_hours`` is decided once, with the hours in force when the customer wrote.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Aggregate,
    Case,
    Exists,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from ..models import ConsentRecord, Conversation, Message, MessageDirection, SenderId
from ..services.business_hours import is_open, sender_hours


def overdue_after() -> timedelta:
    """The service level: a customer waiting longer than this is overdue (F-CV5)."""
    return timedelta(seconds=settings.OVERDUE_AFTER_SECONDS)


# --- Summary columns -----------------------------------------------------------------------


def is_agent_message(message: Message) -> bool:
    """An agent message is an outgoing message a person wrote. Automatic replies (the HELP
    answer, out-of-hours replies) have no author and never count as a response."""
    return message.direction == MessageDirection.OUTBOUND and message.author_id is not None


def is_customer_message(message: Message) -> bool:
    """A customer message is an incoming message."""
    return message.direction == MessageDirection.INBOUND


def agent_messages_q(prefix: str = "") -> Q:
    """``is_agent_message`` as a filter (``prefix`` reaches the message through a relation)."""
    return Q(**{f"{prefix}direction": MessageDirection.OUTBOUND, f"{prefix}author__isnull": False})


def customer_messages_q(prefix: str = "") -> Q:
    """``is_customer_message`` as a filter."""
    return Q(**{f"{prefix}direction": MessageDirection.INBOUND})


def first_response_since(*, conversation_id: int, since: datetime) -> datetime | None:
    """The first response: the time of the first agent message at or after ``since`` (the
    customer's first message)."""
    return (
        Message.objects.filter(agent_messages_q(), conversation_id=conversation_id)
        .filter(created_at__gte=since)
        .aggregate(at=Min("created_at"))["at"]
    )


def first_times_after_inbound(*, conversation: Conversation, written_at: datetime) -> list[str]:
    """Set the first-message columns of ``conversation`` (not saved) for a customer message
    written at ``written_at``; the names of the columns that changed.

    Only an earlier first customer message changes anything; the first response is then
    looked up again (one query, and only when agents have written in the thread).
    """
    if conversation.first_inbound_at is not None and conversation.first_inbound_at <= written_at:
        return []
    conversation.first_inbound_at = written_at
    conversation.first_response_at = (
        first_response_since(conversation_id=conversation.pk, since=written_at)
        if conversation.last_outbound_at is not None
        else None
    )
    conversation.opened_after_hours = opened_after_hours(
        sender=conversation.sender_id, written_at=written_at
    )
    return ["first_inbound_at", "first_response_at", "opened_after_hours"]


def opened_after_hours(*, sender: SenderId, written_at: datetime) -> bool:
    """Opened outside business hours: the customer's first message was written while the
    business hours of the conversation's sender ID (its own, or the organisation's) were
    closed. An opening minute is open; with business hours off (or a sender ID open 24/7)
    no conversation ever opens outside them. The share of opened conversations that did is
    the report's "Opened outside business hours"."""
    return not is_open(sender_hours(sender), written_at)


def after_hours_q() -> Q:
    """Conversations ``opened_after_hours`` (the stored answer, one column)."""
    return Q(opened_after_hours=True)


def first_response_on_send(*, at: datetime) -> Coalesce:
    """The ``first_response_at`` an agent message sent at ``at`` leaves, as an UPDATE value:
    ``at`` when the customer had written by then and nobody had responded yet."""
    return Coalesce(
        F("first_response_at"),
        Case(When(first_inbound_at__lte=at, then=Value(at)), default=None),
    )


def first_times_rebuild(conversations: QuerySet, *, message_model: type = Message) -> int:
    """Recompute both columns from the messages for ``conversations`` (two UPDATEs). The
    migration backfills with it; ``message_model`` lets it use the historical model."""
    messages = message_model.objects.filter(conversation=OuterRef("pk")).order_by()
    first_in = messages.filter(customer_messages_q()).values("conversation")
    conversations.update(
        first_inbound_at=Subquery(first_in.annotate(at=Min("created_at")).values("at"))
    )
    first_out = messages.filter(agent_messages_q(), created_at__gte=OuterRef("first_inbound_at"))
    return conversations.filter(first_inbound_at__isnull=False).update(
        first_response_at=Subquery(
            first_out.values("conversation").annotate(at=Min("created_at")).values("at")
        )
    )


# --- Durations and percentiles -------------------------------------------------------------


class Seconds(Func):
    """Seconds from ``start`` to ``end`` (two timestamps), as a float."""

    output_field = FloatField()
    arity = 2
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class Percentile(Aggregate):
    """The continuous percentile (``fraction`` 0.5 is the median) of a number, like
    PostgreSQL's ``percentile_cont``; SQLite gets the same function from ``sqlite_functions``."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, *, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=float(fraction), **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # A copy, not template=…: Aggregate.as_sql sets the template itself with a filter.
        clone = self.copy()
        clone.function = "CONVERSE_PERCENTILE"
        clone.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return clone.as_sql(compiler, connection, **extra)


def response_seconds() -> Seconds:
    """First response time: from the customer's first message to the first response."""
    return Seconds(F("first_response_at"), F("first_inbound_at"))


def resolution_seconds() -> Seconds:
    """Resolution time: from the customer's first message to the close of a conversation
    that is closed now (a customer message reopens it and takes it out again)."""
    return Seconds(F("closed_at"), F("first_inbound_at"))


def resolved_q() -> Q:
    return Q(status=Conversation.Status.CLOSED, closed_at__isnull=False)


# --- Service level -------------------------------------------------------------------------


def answered_within_q() -> Q:
    """Answered within the service level: a first response no later than the overdue
    threshold after the customer's first message."""
    return Q(first_response_at__lte=F("first_inbound_at") + overdue_after())


def answered_late_q() -> Q:
    """Answered late: a first response after the overdue threshold."""
    return Q(first_response_at__gt=F("first_inbound_at") + overdue_after())


def unanswered_q() -> Q:
    """Unanswered: no agent message since the customer first wrote."""
    return Q(first_inbound_at__isnull=False, first_response_at__isnull=True)


def due_q(*, now: datetime) -> Q:
    """Conversations the service level is judged on: answered, or waiting past the
    threshold. The share within it is ``answered_within_q`` out of these, so a customer who
    wrote a minute ago and is still inside the threshold counts neither way."""
    return Q(first_response_at__isnull=False) | Q(first_inbound_at__lte=now - overdue_after())


def answered_q() -> Q:
    """Answered: a first response exists (the conversations a response time is taken of)."""
    return Q(first_response_at__isnull=False)


ANSWER_STATES = {
    "answered": answered_q,
    "within": answered_within_q,
    "late": answered_late_q,
    "none": unanswered_q,
}


# --- Opt-outs ------------------------------------------------------------------------------


def opted_out_between(start: datetime, end: datetime) -> Exists:
    """An opt-out: the conversation's customer opted out in the period (a ``ConsentRecord``
    of kind opt-out). Opting out is contact-wide, so it counts in each of the customer's
    conversations that the filters keep, once per conversation."""
    return Exists(
        ConsentRecord.objects.filter(
            contact=OuterRef("contact"),
            kind=ConsentRecord.Kind.OPT_OUT,
            at__gte=start,
            at__lt=end,
        )
    )


def duration_words() -> str:
    """The service level in words, for the page ("5 minutes")."""
    minutes, seconds = divmod(settings.OVERDUE_AFTER_SECONDS, 60)
    if seconds:
        return f"{settings.OVERDUE_AFTER_SECONDS} seconds"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"

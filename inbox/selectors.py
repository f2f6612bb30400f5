"""Reads for pages: querysets shaped for each screen, with a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from .models import Attachment, Conversation, ConversationEvent, Message, ReadState, User

PAGE_SIZE = 50
THREAD_LIMIT = 200


@dataclass(frozen=True)
class Cursor:
    """Keyset position in a list ordered by (last_activity_at desc, id desc)."""

    at: datetime
    pk: int

    def encode(self) -> str:
        return f"{self.at.timestamp():.6f}_{self.pk}"

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor | None":
        from datetime import UTC

        if not raw:
            return None
        try:
            ts, pk = raw.split("_", 1)
            return cls(datetime.fromtimestamp(float(ts), tz=UTC), int(pk))
        except (ValueError, OverflowError, OSError):
            return None


def with_unread(qs: QuerySet[Conversation], user: User) -> QuerySet[Conversation]:
    """Annotate ``is_unread``: a customer message newer than ``user``'s own read mark."""
    last_read = ReadState.objects.filter(user=user, conversation=OuterRef("pk")).values(
        "last_read_at"
    )[:1]
    return qs.annotate(my_last_read_at=Subquery(last_read)).annotate(
        is_unread=Case(
            When(last_inbound_at__isnull=True, then=Value(False)),
            When(my_last_read_at__isnull=True, then=Value(True)),
            When(last_inbound_at__gt=F("my_last_read_at"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def page(qs: QuerySet[Conversation], *, after: Cursor | None, limit: int = PAGE_SIZE):
    """One page of ``qs`` after ``after`` and the cursor of the next page (or None)."""
    qs = qs.order_by("-last_activity_at", "-id")
    if after is not None:
        qs = qs.filter(
            Q(last_activity_at__lt=after.at) | Q(last_activity_at=after.at, id__lt=after.pk)
        )
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = Cursor(rows[-1].last_activity_at, rows[-1].pk)
    return rows, next_cursor


def list_columns(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    return qs.select_related("contact", "sender_id", "owner")


def my_inbox(*, user: User, after: Cursor | None = None):
    """F-IN1: my conversations with at least one customer message, newest activity first."""
    qs = Conversation.objects.filter(owner=user, last_inbound_at__isnull=False)
    return page(with_unread(list_columns(qs), user), after=after)


def unread_count(*, user: User) -> int:
    """How many of my conversations have a customer message newer than my read mark.

    Written as an anti-join (no read mark at or after the last inbound message) rather than
    by filtering on the ``is_unread`` annotation: PostgreSQL then reads my read states once
    instead of running a subquery per conversation, which matters for inboxes of thousands.
    """
    read_up_to_date = ReadState.objects.filter(
        user=user, conversation=OuterRef("pk"), last_read_at__gte=OuterRef("last_inbound_at")
    )
    return (
        Conversation.objects.filter(owner=user, last_inbound_at__isnull=False)
        .exclude(Exists(read_up_to_date))
        .count()
    )


def thread_items(*, conversation: Conversation) -> list[Message | ConversationEvent]:
    """The latest messages and events of a thread, oldest first, for the window."""
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("-created_at", "-id")[:THREAD_LIMIT]
    )
    events = ConversationEvent.objects.filter(conversation=conversation).select_related("actor")
    if len(messages) == THREAD_LIMIT:
        events = events.filter(created_at__gte=messages[-1].created_at)
    return sorted(chain(messages, events), key=lambda item: item.created_at)

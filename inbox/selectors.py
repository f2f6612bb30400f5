"""Reads for pages: querysets shaped for each screen, with a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from django.db.models import (
    BooleanField,
    Case,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse

from .access import can_export, can_send_in, visible_conversations
from .models import Attachment, Conversation, ConversationEvent, Message, ReadState, User
from .phone import format_phone
from .services import service_levels, teams

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
    return (
        with_unread(Conversation.objects.filter(owner=user, last_inbound_at__isnull=False), user)
        .filter(is_unread=True)
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


def window_state(*, user: User, conversation: Conversation) -> dict:
    """What the conversation window shows about ``conversation`` and offers ``user`` to do."""
    can_act = can_send_in(user, conversation)
    closed = conversation.status == Conversation.Status.CLOSED
    waiting = service_levels.waiting_state(conversation=conversation)
    return {
        "waiting_state": waiting,
        "waiting_label": service_levels.WaitingState.LABELS.get(waiting, ""),
        "rep_needed": service_levels.rep_needed(conversation=conversation),
        "can_close": can_act and not closed,
        "can_reopen": can_act and closed,
        "can_join": teams.can_join(user, conversation),
        "can_leave": teams.can_leave(user, conversation),
        "can_grab": teams.can_grab(user, conversation),
        "can_export": can_export(user, conversation),
    }


def latest_change(*, user: User, since: datetime) -> datetime | None:
    """The newest ``changed_at`` after ``since`` among the conversations ``user`` can see.

    One indexed query; None (the common, idle answer) when nothing changed.
    """
    return (
        visible_conversations(user)
        .filter(changed_at__gt=since)
        .aggregate(latest=Max("changed_at"))["latest"]
    )


@dataclass(frozen=True)
class News:
    """Something worth a desktop notification: a customer wrote, or I was assigned."""

    key: str
    title: str
    body: str
    url: str


def _contact_name(conversation: Conversation) -> str:
    contact = conversation.contact
    return contact.display_name or format_phone(contact.phone_e164 or "") or str(contact)


def news_since(*, user: User, since: datetime, limit: int = 5) -> list[News]:
    """New customer messages in my conversations, and conversations assigned to me."""
    news = []
    for c in (
        Conversation.objects.filter(owner=user, last_inbound_at__gt=since)
        .select_related("contact")
        .order_by("-last_inbound_at")[:limit]
    ):
        news.append(
            News(
                key=f"m-{c.public_id}-{c.last_inbound_at.timestamp():.6f}",
                title=f"New message from {_contact_name(c)}",
                body=c.last_message_preview,
                url=reverse("inbox:conversation", args=[c.public_id]),
            )
        )
    for event in (
        ConversationEvent.objects.filter(
            kind=ConversationEvent.Kind.ASSIGNED, created_at__gt=since, conversation__owner=user
        )
        .exclude(actor=user)
        .select_related("conversation__contact")
        .order_by("-created_at")[:limit]
    ):
        c = event.conversation
        news.append(
            News(
                key=f"a-{event.pk}",
                title=f"Assigned to you: {_contact_name(c)}",
                body=c.last_message_preview,
                url=reverse("inbox:conversation", args=[c.public_id]),
            )
        )
    return news

"""The conversation lists (My Inbox, Sent, a sender ID's, the Team Inbox, All, mentions,
snoozed): their rows, filters and pages, one page in constant queries."""

from dataclasses import asdict, dataclass
from datetime import datetime

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from ..access import Reach, visible_conversations
from ..models import (
    Channel,
    Conversation,
    Label,
    Notification,
    Participation,
    ReadState,
    SenderId,
    User,
)
from ..pure.params import param_id
from ..reports import drilldown
from ..waiting import WaitingState, waiting_of, waiting_q, with_anyone_joined
from .contacts import contact_search_q

PAGE_SIZE = 50


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
            ts, raw_pk = raw.split("_", 1)
            pk = param_id(raw_pk)
            if pk is None:
                return None
            return cls(datetime.fromtimestamp(float(ts), tz=UTC), pk)
        except (ValueError, OverflowError, OSError):
            return None


def read_up_to_date(user: User | OuterRef) -> Exists:
    """``user`` has read the conversation since its last customer message."""
    return Exists(
        ReadState.objects.filter(
            user=user, conversation=OuterRef("pk"), last_read_at__gte=OuterRef("last_inbound_at")
        )
    )


def with_unread(qs: QuerySet[Conversation], user: User | OuterRef) -> QuerySet[Conversation]:
    """Annotate ``is_unread``: a customer message newer than ``user``'s own read mark, in
    a conversation no bot has (the customer talks to the bot; nobody is needed yet).

    ``user`` may be ``OuterRef("owner")``: unread for each conversation's owner. Written as
    an anti-join (no read mark at or after the last inbound message): filtered on, it lets
    PostgreSQL read the reader's read marks once instead of probing them row by row.
    """
    return qs.annotate(
        is_unread=ExpressionWrapper(
            Q(last_inbound_at__isnull=False, with_bot=False) & ~read_up_to_date(user),
            output_field=BooleanField(),
        )
    )


def page(qs: QuerySet[Conversation], *, after: Cursor | None, limit: int | None = None):
    """One page of ``qs`` (``limit`` rows, by default PAGE_SIZE) after ``after`` and the
    cursor of the next page (or None)."""
    limit = limit or PAGE_SIZE
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


# What a list row shows (and its cursor is made of); nothing else is read or parsed.
LIST_COLUMNS = (
    "public_id",
    "status",
    "owner_id",
    "last_inbound_at",
    "last_activity_at",
    "last_message_preview",
    "last_message_direction",
    "waiting_since",
    "waiting_counts_from",
    "soon_overdue_at",
    "overdue_at",
    "changed_at",
    "customer_address",
    "contact__public_id",
    "contact__display_name",
    "contact__phone_e164",
    "sender_id__channel",
    "sender_id__address",
    "sender_id__label",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "snoozed_until",
    "snoozed_by_id",
    "with_bot",
)


def list_columns(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    return qs.select_related("contact", "sender_id", "owner").only(*LIST_COLUMNS)


@dataclass(frozen=True)
class InboxView:
    """Which list: my inbox, a sender ID's inbox, my sent messages, an agent's inbox, or
    every conversation (admins, reached from the reports)."""

    kind: str
    sender: SenderId | None = None
    agent: User | None = None


# The filters behind the list's "Filters" button, in its order.
FILTER_FIELDS = (
    "status",
    "waiting",
    "channel",
    "sender",
    "label",
    "conversation_label",
    "assignee",
)


@dataclass(frozen=True)
class InboxFilters:
    """F-IN5 filters and the F-IN6 search, parsed from GET parameters (bad values ignored)."""

    status: str = ""
    waiting: str = ""
    channel: str = ""
    sender: str = ""
    label: str = ""
    conversation_label: str = ""
    assignee: str = ""
    q: str = ""
    # The conversations behind a report figure (``inbox.reports.drilldown``).
    team: str = ""
    on: str = ""
    since: str = ""
    until: str = ""
    weekday: str = ""
    hour: str = ""
    answer: str = ""
    hours: str = ""
    campaign: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> "InboxFilters":
        def pick(name: str, allowed) -> str:
            value = params.get(name, "").strip()
            return value if value in allowed else ""

        assignee = params.get("assignee", "").strip()
        return cls(
            status=pick("status", Conversation.Status.values),
            waiting=pick("waiting", WaitingState.values),
            channel=pick("channel", Channel.values),
            sender=params.get("sender", "").strip()[:16],
            label=params.get("label", "").strip()[:50],
            conversation_label=params.get("conversation_label", "").strip()[:50],
            assignee=assignee if assignee == "none" or param_id(assignee) else "",
            q=params.get("q", "").strip()[:100],
            **drilldown.params_from_query(params),
        )

    def as_params(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value}

    def __bool__(self) -> bool:
        return bool(self.as_params())

    @property
    def chosen(self) -> int:
        """How many of the list's filters (F-IN5) are set; the search box is not one."""
        return sum(1 for name in FILTER_FIELDS if getattr(self, name))

    def report_params(self) -> dict[str, str]:
        """The report filters alone: the list's filter form carries them along."""
        return {name: value for name in drilldown.FIELDS if (value := getattr(self, name))}

    @property
    def report_description(self) -> str:
        return drilldown.describe(self)


def search_q(text: str) -> Q:
    """F-IN6: a name (substring), a contact id, or the contact's phone number in any common
    format (``contacts.typed_number_endings``); a number finds the contacts first,
    by their indexes, then their conversations."""
    return contact_search_q(text, contact="contact__", email=False)


def apply_filters(qs: QuerySet[Conversation], filters: InboxFilters, *, now) -> QuerySet:
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.waiting:
        qs = qs.filter(waiting_q(filters.waiting, now=now))
    if filters.channel:
        qs = qs.filter(sender_id__channel=filters.channel)
    if filters.sender:
        qs = qs.filter(sender_id__public_id=filters.sender)
    if filters.label:
        qs = qs.filter(contact__labels__name=filters.label)
    if filters.conversation_label:
        qs = qs.filter(labels__name=filters.conversation_label)
    if filters.assignee == "none":
        qs = qs.filter(owner__isnull=True)
    elif filters.assignee:
        qs = qs.filter(owner_id=int(filters.assignee))
    if filters.q:
        qs = qs.filter(search_q(filters.q))
    return drilldown.apply(qs, filters)


def sent_by(user: User) -> QuerySet[Participation]:
    """Where ``user`` has sent a message: the Sent list and its count."""
    return Participation.objects.filter(user=user, last_sent_at__isnull=False)


def mentioned_unseen(user: User, reach: Reach | None = None) -> QuerySet[Conversation]:
    """F-CO2: the conversations ``user`` may open where someone @mentioned them and that
    they have not opened since: the Mentions list, and its count in the navigation."""
    return visible_conversations(user, reach).filter(
        pk__in=mentions_of(user).values("conversation_id")
    )


def mentions_of(user: User) -> QuerySet[Notification]:
    """Where someone @mentioned ``user`` and they have not opened the conversation since."""
    return Notification.objects.filter(
        user=user, kind=Notification.Kind.MENTIONED, read_at__isnull=True
    )


def inbox_conversations(
    *, user: User, view: InboxView, filters: InboxFilters, after: Cursor | None = None
):
    """One page of a list (F-IN1…F-IN6) and the next page's cursor; one query.

    Rows carry ``is_unread`` for the list's reader (the agent, in the Team Inbox) and
    ``waiting`` (the waiting badge and rep-needed flag, as the window header shows them).

    A thread a campaign started and nobody answered yet is in no list (``listed``): My
    Inbox and the team lists take threads with a customer message, Sent those an agent
    wrote in, and a sender ID's and All leave the unlisted out by their indexes.
    """
    reader = user
    if view.kind == "mine":
        # Snoozed conversations leave My Inbox until they come back (F-CO3).
        qs = Conversation.objects.filter(
            owner=user, last_inbound_at__isnull=False, snoozed_by__isnull=True
        )
    elif view.kind == "snoozed":
        qs = visible_conversations(user).filter(snoozed_by=user)
    elif view.kind == "mentions":
        qs = mentioned_unseen(user)
    elif view.kind == "sender":
        qs = visible_conversations(user).filter(sender_id=view.sender, listed=True)
    elif view.kind == "sent":
        # Every thread an agent wrote in is listed (writing lists it): said here, the newest
        # listed threads are read in order from their index, each asked whether the user
        # wrote in it, until a page is full (not every visible thread sorted).
        qs = visible_conversations(user).filter(
            listed=True, pk__in=sent_by(user).values("conversation_id")
        )
    elif view.kind == "team":
        qs = Conversation.objects.filter(owner=view.agent, last_inbound_at__isnull=False)
        reader = view.agent
    elif view.kind == "all":
        qs = visible_conversations(user).filter(listed=True)
    else:
        raise ValueError(f"Unknown list {view.kind!r}")
    now = timezone.now()
    qs = apply_filters(with_anyone_joined(qs), filters, now=now)
    rows, next_cursor = page(with_unread(list_columns(qs), reader), after=after)
    for row in rows:
        row.waiting = waiting_of(conversation=row, anyone_joined=row.anyone_joined, now=now)
    with_label_names(rows)
    return rows, next_cursor


def with_label_names(rows: list[Conversation]) -> None:
    """Set ``label_names`` (sorted) on each row: one query for the page, none when empty."""
    names: dict[int, list[str]] = {row.pk: [] for row in rows}
    if names:
        for conversation_id, name in (
            Conversation.labels.through.objects.filter(conversation_id__in=names)
            .order_by("label__name")
            .values_list("conversation_id", "label__name")
        ):
            names[conversation_id].append(name)
    for row in rows:
        row.label_names = names[row.pk]


def filter_choices() -> dict:
    """What the filter form offers besides fixed choices: labels and assignees (two queries)."""
    return {
        "labels": list(Label.objects.values_list("name", flat=True)),
        "assignees": list(
            User.objects.filter(is_active=True)
            .order_by("username")
            .only("username", "first_name", "last_name")
        ),
    }

"""Reads for pages: querysets shaped for each screen, with a fixed number of queries."""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import chain

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from . import versions
from .access import (
    Reach,
    can_export,
    can_send_in,
    reach_of,
    usable_sender_ids,
    viewers_of,
    visible_conversations,
)
from .contact_selectors import contact_search_q
from .models import (
    Attachment,
    Channel,
    Contact,
    ContactChange,
    ContactFieldValue,
    Conversation,
    ConversationEvent,
    Label,
    Message,
    MessageDirection,
    Notification,
    Participation,
    ReadState,
    Role,
    SenderId,
    User,
)
from .params import param_id, param_int
from .reports import drilldown
from .services import teams
from .services.assignment import transfer_targets
from .services.read_state import single_read_behind
from .waiting import (
    WaitingState,
    anyone_joined,
    waiting_of,
    waiting_q,
    with_anyone_joined,
)

PAGE_SIZE = 50
# The window opens on the newest THREAD_PAGE messages; "Show earlier" adds as many again.
THREAD_PAGE = 50
THREAD_MAX = 2000
# The contact panel shows this many of the contact's latest changes.
RECENT_CHANGES = 5


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
    """Annotate ``is_unread``: a customer message newer than ``user``'s own read mark.

    ``user`` may be ``OuterRef("owner")``: unread for each conversation's owner. Written as
    an anti-join (no read mark at or after the last inbound message): filtered on, it lets
    PostgreSQL read the reader's read marks once instead of probing them row by row.
    """
    return qs.annotate(
        is_unread=ExpressionWrapper(
            Q(last_inbound_at__isnull=False) & ~read_up_to_date(user),
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
    format (``contact_selectors.typed_number_endings``); a number finds the contacts first,
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


def _sent_by(user: User) -> QuerySet[Participation]:
    return Participation.objects.filter(user=user, last_sent_at__isnull=False)


def mentioned_unseen(user: User, reach: Reach | None = None) -> QuerySet[Conversation]:
    """F-CO2: the conversations ``user`` may open where someone @mentioned them and that
    they have not opened since: the Mentions list, and its count in the navigation."""
    return visible_conversations(user, reach).filter(
        pk__in=Notification.objects.filter(
            user=user, kind=Notification.Kind.MENTIONED, read_at__isnull=True
        ).values("conversation_id")
    )


def inbox_conversations(
    *, user: User, view: InboxView, filters: InboxFilters, after: Cursor | None = None
):
    """One page of a list (F-IN1…F-IN6) and the next page's cursor; one query.

    Rows carry ``is_unread`` for the list's reader (the agent, in the Team Inbox) and
    ``waiting`` (the waiting badge and rep-needed flag, as the window header shows them).
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
        qs = visible_conversations(user).filter(sender_id=view.sender)
    elif view.kind == "sent":
        qs = visible_conversations(user).filter(pk__in=_sent_by(user).values("conversation_id"))
    elif view.kind == "team":
        qs = Conversation.objects.filter(owner=view.agent, last_inbound_at__isnull=False)
        reader = view.agent
    elif view.kind == "all":
        qs = visible_conversations(user)
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


def mention_candidates(*, conversation: Conversation, prefix: str, limit: int = 8) -> list[User]:
    """Teammates who may open ``conversation`` whose username or name starts with ``prefix``:
    what typing ``@`` in a note offers."""
    prefix = prefix.strip()[:50]
    people = viewers_of(conversation)
    if prefix:
        people = people.filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
    return list(people.order_by("username").only("username", "first_name", "last_name")[:limit])


@dataclass(slots=True)
class NavSender:
    """A sender ID as the navigation lists it (read as plain values: an admin has hundreds)."""

    pk: int
    public_id: str
    channel: str
    address: str
    label: str
    unread: int = 0


@dataclass
class InboxNav:
    """The left navigation: every list the user may open, with its unread count."""

    mine: int = 0
    sent: int = 0
    mentions: int = 0  # not unread: mentioned in and not opened since
    senders: list["NavSender"] = field(default_factory=list)
    # What the counts were counted from: the template caches the drawn navigation under it.
    version: versions.CountsVersion | None = None


def inbox_nav(*, user: User) -> InboxNav:
    """Lists and unread counts in a fixed number of queries however many sender IDs and
    conversations: three while the counts are kept (sender IDs, a standard user's reach,
    the newest change), then two to count them (unread, mentions) or one to adjust them,
    and one to check the stamp."""
    senders = [
        NavSender(*row)
        for row in usable_sender_ids(user)
        .order_by("label", "address")
        .values_list("pk", "public_id", "channel", "address", "label")
    ]
    reach = None if user.is_admin else reach_of(user)
    latest = versions.conversations_changed_at()

    def version_at(read_marks_stamp) -> versions.CountsVersion:
        return versions.counts_version(
            "nav.2",  # .2: the counts carry the mentions
            (
                user.pk,
                user.role,
                read_marks_stamp,
                tuple((s.pk, s.channel, s.address, s.label) for s in senders),
                reach,
            ),
            latest=latest,
        )

    version = version_at(user.read_marks_changed_at)
    counts = versions.cached_counts(
        version,
        lambda: (
            _counts_less_single_read(user, version_at)
            or _nav_counts(user, {s.pk for s in senders}, reach)
        ),
        # The stamp was read when the request began: counts that already include a later
        # change of marks must not be kept under it (later reads subtract from them).
        still_current=lambda: _read_marks_stamp(user) == user.read_marks_changed_at,
    )
    for sender in senders:
        sender.unread = counts["senders"].get(sender.pk, 0)
    return InboxNav(
        mine=counts["mine"],
        sent=counts["sent"],
        mentions=counts["mentions"],
        senders=senders,
        version=version,
    )


def _read_marks_stamp(user: User) -> datetime | None:
    return User.objects.values_list("read_marks_changed_at", flat=True).get(pk=user.pk)


def _counts_less_single_read(user: User, version_at) -> dict | None:
    """When the user's last read-mark change was opening one unread conversation and the
    counts from before it are kept: those counts, less that conversation (one small query
    instead of counting again). None otherwise."""
    read = single_read_behind(user)
    before = read and versions.kept_counts(version_at(read.before))
    if not before:
        return None
    read_one = (
        Conversation.objects.filter(pk=read.conversation_id)
        .annotate(sent=Exists(_sent_by(user).filter(conversation=OuterRef("pk"))))
        .values_list("owner_id", "sender_id", "sent")
        .first()
    )
    if read_one is None:
        return None
    owner_id, sender_id, sent = read_one
    senders = dict(before["senders"])
    if sender_id in senders:
        senders[sender_id] -= 1
    return {
        "senders": senders,
        "mine": before["mine"] - (owner_id == user.pk),
        "sent": before["sent"] - sent,
        # Opening a conversation I was mentioned in stamps my read marks again
        # (``mentions_seen``), so a single read leaves the mentions as they were.
        "mentions": before["mentions"],
    }


def _nav_counts(user: User, shown: set[int], reach: Reach | None) -> dict:
    """Unread per sender ID, mine and sent, in one pass over what ``user`` can see; and
    the conversations they were mentioned in and have not opened since."""
    visible = visible_conversations(user, reach).filter(last_inbound_at__isnull=False)
    rows = (
        with_unread(visible, user)
        .filter(is_unread=True)
        .order_by()
        .values_list("sender_id")
        .annotate(
            n=Count("pk"),
            mine=Count("pk", filter=Q(owner=user)),
            sent=Count("pk", filter=Q(pk__in=_sent_by(user).values("conversation_id"))),
        )
    )
    mentions = mentioned_unseen(user, reach).order_by().count()
    counts = {"senders": {}, "mine": 0, "sent": 0, "mentions": mentions}
    for sender_id, n, mine, sent in rows:
        if sender_id in shown:
            counts["senders"][sender_id] = n
        counts["mine"] += mine
        counts["sent"] += sent
    return counts


def _unread_counts_by(
    qs: QuerySet[Conversation], *, reader: User | OuterRef, column: str
) -> dict[int, int]:
    """Unread conversations of ``qs`` for ``reader``, counted per value of ``column``."""
    return dict(
        with_unread(qs, reader)
        .filter(is_unread=True)
        .order_by()
        .values_list(column)
        .annotate(n=Count("pk"))
    )


def unread_count(*, user: User) -> int:
    """My Inbox's unread conversations: the tab title and the live badge."""
    mine = Conversation.objects.filter(owner=user, last_inbound_at__isnull=False)
    return mine.exclude(read_up_to_date(user)).count()


def team_agents() -> list[User]:
    """F-IN3: the standard users whose inboxes an admin can open, each with ``unread``
    (by the agent's own read marks); one query while the counts are cached, two otherwise."""
    agents = list(User.objects.filter(role=Role.STANDARD, is_active=True).order_by("username"))
    version = versions.counts_version(
        "agents",
        tuple((a.pk, a.read_marks_changed_at) for a in agents),
        latest=versions.conversations_changed_at(),
    )
    unread = versions.cached_counts(
        version,
        lambda: _unread_counts_by(
            Conversation.objects.filter(
                owner__role=Role.STANDARD, owner__is_active=True, last_inbound_at__isnull=False
            ),
            reader=OuterRef("owner"),
            column="owner_id",
        ),
        # Agents' counts are only counted afresh (nothing subtracts from them).
        still_current=lambda: True,
    )

    for agent in agents:
        agent.unread = unread.get(agent.pk, 0)
    return agents


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


def contact_with_details(contact: Contact) -> Contact:
    """``contact`` with its labels, custom field values (named, by name) and latest changes
    loaded, in three queries however often the panel and its form read them; loading twice
    is free."""
    prefetch_related_objects(
        [contact],
        "labels",
        Prefetch(
            "field_values",
            queryset=ContactFieldValue.objects.select_related("field").order_by("field__name"),
        ),
        Prefetch(
            "changes",
            queryset=ContactChange.objects.select_related("actor").order_by("-at", "-id")[
                :RECENT_CHANGES
            ],
            to_attr="recent_changes",
        ),
    )
    return contact


@dataclass(frozen=True)
class Thread:
    """What the window shows of a thread: the newest ``size`` messages (with the events
    among them), oldest first, and whether older messages exist."""

    items: list[Message | ConversationEvent]
    size: int
    has_earlier: bool

    @property
    def earlier_size(self) -> int:
        return min(self.size + THREAD_PAGE, THREAD_MAX)

    @staticmethod
    def size_from(raw: str | None) -> int:
        """The ``?show=`` of a request: how many messages the reader has asked to see."""
        asked = param_int(raw)
        return THREAD_PAGE if asked is None else max(THREAD_PAGE, min(asked, THREAD_MAX))


def thread(*, conversation: Conversation, size: int) -> Thread:
    """The newest ``size`` messages of ``conversation`` and its events since the oldest."""
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .annotate(has_attachments=Exists(Attachment.objects.filter(message=OuterRef("pk"))))
        .order_by("-created_at", "-id")[: size + 1]
    )
    has_earlier = len(messages) > size
    messages = messages[:size]
    _with_attachments(messages)
    events = ConversationEvent.objects.filter(conversation=conversation).select_related("actor")
    if has_earlier:
        events = events.filter(created_at__gte=messages[-1].created_at)
    items = sorted(chain(messages, events), key=lambda item: item.created_at)
    return Thread(items=items, size=size, has_earlier=has_earlier)


def _with_attachments(messages: list[Message]) -> None:
    """Load the attachments of the messages that have any (one query; none for a page of
    text messages, the usual thread)."""
    with_files = [m for m in messages if m.has_attachments]
    for message in messages:
        if not message.has_attachments:
            message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}
    prefetch_related_objects(
        with_files, Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )


def window_state(*, user: User, conversation: Conversation) -> dict:
    """What the conversation window shows about ``conversation`` and offers ``user`` to do."""
    can_act = can_send_in(user, conversation)
    closed = conversation.status == Conversation.Status.CLOSED
    joined = anyone_joined(conversation=conversation)
    return {
        "waiting": waiting_of(conversation=conversation, anyone_joined=joined, now=timezone.now()),
        "can_close": can_act and not closed,
        "can_reopen": can_act and closed,
        "can_join": teams.can_join(user, conversation),
        "can_leave": teams.can_leave(user, conversation),
        "can_grab": teams.can_grab(user, conversation),
        "can_export": can_export(user, conversation),
        "transfer_targets": transfer_targets(conversation=conversation, by=user),
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
    """Something worth a desktop notification: a customer wrote, I was assigned, or
    mentioned."""

    key: str
    title: str
    body: str
    url: str


def news_since(*, user: User, since: datetime, limit: int = 5) -> list[News]:
    """New customer messages in my conversations, conversations assigned to me, mine that
    someone else took over, and @mentions of me in private notes."""
    news = []
    for c in (
        Conversation.objects.filter(owner=user, last_inbound_at__gt=since)
        .select_related("contact")
        .order_by("-last_inbound_at")[:limit]
    ):
        news.append(
            News(
                key=f"m-{c.public_id}-{c.last_inbound_at.timestamp():.6f}",
                title=f"New message from {c.contact.shown_name}",
                body=c.last_message_preview,
                url=reverse("inbox:conversation", args=[c.public_id]),
            )
        )
    for event in (
        ConversationEvent.objects.filter(
            Q(conversation__owner=user) | Q(data__from=user.pk),
            kind=ConversationEvent.Kind.ASSIGNED,
            created_at__gt=since,
        )
        .exclude(actor=user)
        .select_related("conversation__contact", "actor")
        .order_by("-created_at")[:limit]
    ):
        c = event.conversation
        # Mine now, or taken from me (a teammate's reply moved it, or it was reassigned).
        mine = c.owner_id == user.pk
        news.append(
            News(
                key=f"a-{event.pk}",
                title=f"Assigned to you: {c.contact.shown_name}"
                if mine
                else f"{event.actor or 'Someone'} took over: {c.contact.shown_name}",
                body=c.last_message_preview,
                url=reverse("inbox:conversation", args=[c.public_id]),
            )
        )
    for notification in (
        Notification.objects.filter(
            user=user,
            kind=Notification.Kind.MENTIONED,
            created_at__gt=since,
            read_at__isnull=True,
        )
        .select_related("conversation__contact", "actor")
        .order_by("-created_at")[:limit]
    ):
        c = notification.conversation
        news.append(
            News(
                key=f"n-{notification.pk}",
                title=f"{notification.actor or 'A teammate'} mentioned you: {c.contact.shown_name}",
                body="In a private note",
                url=reverse("inbox:conversation", args=[c.public_id]),
            )
        )
    return news


def replied_by_another(*, conversation: Conversation, user: User, since: datetime) -> str:
    """Who (besides ``user``) sent the newest reply in ``conversation`` after ``since``:
    their name, "An automatic reply", or "" when nobody else did (one query)."""
    reply = (
        Message.objects.filter(
            conversation=conversation, direction=MessageDirection.OUTBOUND, created_at__gt=since
        )
        .exclude(author=user)
        .select_related("author")
        .order_by("-created_at", "-id")
        .first()
    )
    if reply is None:
        return ""
    return str(reply.author) if reply.author else "An automatic reply"

"""The navigation and its unread counts (kept per user: ``unread_tally``), and the Team
Inbox's per agent."""

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, QuerySet

from .. import versions
from ..access import reach_of, usable_sender_ids
from ..models import Conversation, Role, User
from .lists import read_up_to_date, with_unread
from .unread_tally import mine_unread, unread_tally


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
    # Names what is drawn: the template caches the drawn navigation under it.
    version: versions.CountsVersion | None = None


def inbox_nav(*, user: User) -> InboxNav:
    """Lists and unread counts in a fixed number of queries however many sender IDs and
    conversations: sender IDs, a standard user's reach, the newest change, and what changed
    since the counts were kept (``unread_tally``) unless nothing did; counting afresh takes
    two counts instead."""
    senders = [
        NavSender(*row)
        for row in usable_sender_ids(user)
        .order_by("label", "address")
        .values_list("pk", "public_id", "channel", "address", "label")
    ]
    reach = None if user.is_admin else reach_of(user)
    tally = unread_tally(user, reach)
    for sender in senders:
        sender.unread = tally.senders.get(sender.pk, 0)
    nav = InboxNav(mine=tally.mine, sent=tally.sent, mentions=tally.mentions, senders=senders)
    nav.version = versions.counts_version(
        "nav.3",  # .3: named by what is drawn, not by the newest change
        (
            user.pk,
            user.role,
            tuple((s.pk, s.channel, s.address, s.label, s.unread) for s in senders),
            nav.mine,
            nav.sent,
            nav.mentions,
        ),
        latest=None,
    )
    return nav


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
    """My Inbox's unread conversations: the tab title and the live badge. From the kept
    counts when there are (``mine_unread``), else counted."""
    kept = mine_unread(user)
    if kept is not None:
        return kept
    mine = Conversation.objects.filter(owner=user, last_inbound_at__isnull=False, with_bot=False)
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

"""The navigation and its unread counts, kept per user until their read marks or the
conversations change."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet

from .. import versions
from ..access import Reach, reach_of, usable_sender_ids, visible_parts
from ..models import Conversation, Role, User
from ..services.read_state import single_read_behind
from .lists import mentioned_unseen, read_up_to_date, sent_by, with_unread


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
        .annotate(sent=Exists(sent_by(user).filter(conversation=OuterRef("pk"))))
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
    mentions = mentioned_unseen(user, reach).order_by().count()
    counts = {"senders": {}, "mine": 0, "sent": 0, "mentions": mentions}
    for sender_id, n, mine, sent in _unread_by_sender(user, reach):
        if sender_id in shown:
            counts["senders"][sender_id] = n
        counts["mine"] += mine
        counts["sent"] += sent
    return counts


def _unread_by_sender(user: User, reach: Reach | None) -> list[tuple[int, int, int, int]]:
    """(sender ID, unread, of them mine, of them where I sent) over what ``user`` can see.

    What they see is read part by part (``visible_parts``: no conversation in two), each
    part's unread ones (``with_unread``) index-only from an index that holds what is
    counted, against the read marks' own index; where they sent likewise. One condition
    over all the parts (an OR) made PostgreSQL visit every row it counts in the table: a
    busy agent's 85,000 conversations at ten million messages took 200 ms that way, 70 ms
    this way.
    """
    base = with_unread(Conversation.objects.order_by(), user).filter(is_unread=True)
    columns = {
        "c_id": F("pk"),
        "c_sender": F("sender_id"),
        "c_owner": F("owner_id"),
    }
    parts = [base.filter(part).values(**columns) for part in visible_parts(user, reach)]
    seen = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    # A part that names no line or team compiles to nothing and the union leaves it out;
    # the first part (mine, or an admin's everything) always stands.
    seen_sql, seen_params = seen.query.sql_with_params()
    sent = sent_by(user).values(c_sent=F("conversation_id"))
    sent_sql, sent_params = sent.query.sql_with_params()
    # Where I sent is joined, not asked row by row (``IN``): half the time at 10 M.
    sql = f"""
        SELECT seen.c_sender, COUNT(*),
               SUM(CASE WHEN seen.c_owner = %s THEN 1 ELSE 0 END), COUNT(sent.c_sent)
        FROM ({seen_sql}) seen
        LEFT JOIN ({sent_sql}) sent ON sent.c_sent = seen.c_id
        GROUP BY seen.c_sender
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, *seen_params, *sent_params])
        return cursor.fetchall()


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

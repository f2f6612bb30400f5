"""A user's unread counts, kept between pages and brought up to date from what changed.

Counting a busy agent's unread conversations reads tens of thousands of index entries
(70 ms at ten million messages), and in a busy organisation some conversation changes
every second: counts kept until anything changes were counted again on nearly every page.
So a user's unread and mentioned conversations are kept, each as one number (its sender ID
and what it adds to: ``code``), with what they add up to (``Tally``). A page asks only
which conversations changed since (``changed_at``, read from its own index: a handful of
rows) and moves each one's part of the counts. A change to the user's read marks names the
conversations it changed (``services.read_state.MarksChange``): they are moved likewise.
The counts are counted again when what the user may see changed (their lines, teams or
role), when more changed than is worth applying, and when nothing is kept yet.

An admin sees every conversation, and most are unread to them: at ten million messages,
hundreds of thousands. Beyond ``ROWS_MAX`` unread the counts are kept without the rows,
and only until anything changes.

A change is stamped (``changed_at``) before it commits. Every catch-up reads again what
changed from ``COMMIT_SLACK`` before the newest stamp it has seen, so a change that
commits behind a newer one is still applied; applying a conversation twice is harmless (its
part is taken out, then put back as it is now).
"""

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Value
from django.utils import timezone

from .. import versions
from ..access import Reach, in_sight, visible_parts
from ..models import Conversation, Role, User
from ..services.read_state import marks_changes_since
from .lists import mentioned_unseen, mentions_of, sent_by, with_unread

# What a kept conversation adds to: the low bits of its code (its sender ID above them).
UNREAD, MENTIONED, MINE, SENT = 1, 2, 4, 8
FLAG_BITS = 4
# More changes than this since the counts were kept: counting again is quicker.
CHANGES_MAX = 300
# More unread than this: the counts are kept without the rows (an admin's, always).
ROWS_MAX = 100_000
# Counted afresh at least this often: a change that escapes the catch-up (a stamp that
# commits later than the commit slack, a conversation leaving someone's sight unstamped, by
# an edit in the Django admin) is not shown for longer.
RECOUNT_SECONDS = 60


def code(sender_id: int, flags: int) -> int:
    return sender_id << FLAG_BITS | flags


@dataclass
class Tally:
    """Unread conversations per sender ID, of them mine and where I sent, and the
    conversations I was mentioned in and have not opened since."""

    senders: dict[int, int] = field(default_factory=dict)
    mine: int = 0
    sent: int = 0
    mentions: int = 0

    def add(self, kept_code: int, sign: int = 1) -> None:
        if kept_code & UNREAD:
            sender_id = kept_code >> FLAG_BITS
            self.senders[sender_id] = self.senders.get(sender_id, 0) + sign
            self.mine += sign * bool(kept_code & MINE)
            self.sent += sign * bool(kept_code & SENT)
        if kept_code & MENTIONED:
            self.mentions += sign


class KeptRows:
    """Conversation ids in order, each with its code: two arrays, which the cache stores and
    reads back as bytes (a dict of 89,000 took 16 ms to read back on every page)."""

    def __init__(self, codes: Iterable[tuple[int, int]] = ()):
        ordered = sorted(codes)
        self.ids = array("q", [pk for pk, _ in ordered])
        self.codes = array("q", [c for _, c in ordered])

    def _at(self, conversation_id: int) -> tuple[int, bool]:
        i = bisect_left(self.ids, conversation_id)
        return i, i < len(self.ids) and self.ids[i] == conversation_id

    def get(self, conversation_id: int) -> int | None:
        i, found = self._at(conversation_id)
        return self.codes[i] if found else None

    def pop(self, conversation_id: int) -> int | None:
        i, found = self._at(conversation_id)
        if not found:
            return None
        del self.ids[i]
        return self.codes.pop(i)

    def set(self, conversation_id: int, kept_code: int) -> None:
        i, found = self._at(conversation_id)
        if found:
            self.codes[i] = kept_code
        else:
            self.ids.insert(i, conversation_id)
            self.codes.insert(i, kept_code)


@dataclass
class KeptUnread:
    """A user's counts as last brought up to date.

    ``sight``: what they could see then (role and reach); ``marks``: their read-mark stamp;
    ``seen_to``: the newest conversation change applied, ``checked_at`` when the changes
    were last read, and ``counted_at`` when they were all counted; ``rows``: every unread
    or mentioned conversation's code, or None when too many to keep: the counts then hold
    only while nothing changes, and only (``usable``) when every change up to ``seen_to``
    had committed and the marks did not change while they were counted; unusable, they are
    kept to say that the rows are too many."""

    sight: tuple
    marks: datetime | None
    seen_to: datetime | None
    checked_at: datetime
    counted_at: datetime
    tally: Tally
    rows: KeptRows | None
    usable: bool = True

    @property
    def settled(self) -> bool:
        """Every change stamped up to ``seen_to`` had committed when the changes were read."""
        return self.seen_to is None or self.checked_at - self.seen_to >= versions.COMMIT_SLACK

    def put(self, conversation_id: int, new_code: int | None) -> bool:
        """The conversation's part of the counts, as it is now (None: none); whether that
        moved anything."""
        if new_code is not None and not new_code & (UNREAD | MENTIONED):
            new_code = None
        old = self.rows.get(conversation_id)
        if old == new_code:
            return False
        if old is not None:
            self.rows.pop(conversation_id)
            self.tally.add(old, -1)
        if new_code is not None:
            self.rows.set(conversation_id, new_code)
            self.tally.add(new_code)
        return True


def unread_tally(user: User, reach: Reach | None) -> Tally:
    """``user``'s counts (``reach``: theirs, None for an admin), kept up to date."""
    sight = _sight_of(user, reach)
    before = _kept(user)
    caught = _caught_up(before if before is not None and before.sight == sight else None, user)
    kept = caught.kept
    if kept is None:
        newest = caught.newest if caught.newest_read else versions.conversations_changed_at()
        # Too many to keep last time: counted in the database straight away.
        rows = before is None or before.rows is not None
        kept = _counted(user, reach, sight, seen_to=newest, rows=rows)
    if kept is not caught.kept or caught.moved:
        _keep(user, kept)
    return kept.tally


def mine_unread(user: User) -> int | None:
    """My Inbox's unread count from ``user``'s kept counts brought up to date, or None when
    nothing usable is kept (the caller counts). What they own is in sight whatever their
    lines and teams, so counts kept for other ones still give it."""
    caught = _caught_up(_kept(user), user)
    if caught.kept is None:
        return None
    if caught.moved:
        _keep(user, caught.kept)
    return caught.kept.tally.mine


def _sight_of(user: User, reach: Reach | None) -> tuple:
    return (user.role, reach)


def _key(user: User) -> str:
    return f"unread-kept:{user.pk}"


def _kept(user: User) -> KeptUnread | None:
    return cache.get(_key(user))


def _keep(user: User, kept: KeptUnread) -> None:
    cache.set(_key(user), kept, RECOUNT_SECONDS)


@dataclass
class CaughtUp:
    """Kept counts brought up to date (None: they cannot be, count again), whether anything
    moved, and the newest conversation change when it was read on the way."""

    kept: KeptUnread | None
    moved: bool = False
    newest: datetime | None = None
    newest_read: bool = False


def _caught_up(kept: KeptUnread | None, user: User) -> CaughtUp:
    """``kept`` brought up to date with ``user``'s read marks and every conversation change
    since. While the newest change is the one last applied, and was already settled when
    the changes were last read, nothing more is read than that newest change."""
    if (
        kept is None
        or not kept.usable
        or timezone.now() - kept.counted_at >= timedelta(seconds=RECOUNT_SECONDS)
    ):
        return CaughtUp(None)
    moved = False
    if kept.marks != user.read_marks_changed_at:
        if not _marks_followed(kept, user):
            return CaughtUp(None)
        moved = True
    newest = versions.conversations_changed_at()
    if newest == kept.seen_to and kept.settled:
        return CaughtUp(kept, moved)
    if kept.rows is None:
        return CaughtUp(None, newest=newest, newest_read=True)
    checked_at, was_settled = timezone.now(), kept.settled
    changes = _changes_since(kept.seen_to, user, kept.sight)
    if changes is None:
        return CaughtUp(None, newest=newest, newest_read=True)
    for conversation_id, new_code, changed_at in changes:
        moved |= kept.put(conversation_id, new_code)
        if kept.seen_to is None or changed_at > kept.seen_to:
            kept.seen_to, moved = changed_at, True
    kept.checked_at = checked_at
    # Kept again when something moved, or once it is settled (so later pages read no more
    # than the newest change): not on every page while a change is under a second old.
    return CaughtUp(kept, moved or (kept.settled and not was_settled))


def _marks_followed(kept: KeptUnread, user: User) -> bool:
    """Follow the changes to ``user``'s read marks since ``kept`` (``MarksChange``): the
    conversations they name are read again (one query; a customer may have written in one
    since). False when one was not noted, or, for counts kept without their conversations,
    when they were not one conversation going from unread to read."""
    changes = marks_changes_since(user, kept.marks)
    if changes is None:
        return False
    if kept.rows is None and not (len(changes) == 1 and changes[0].one_read):
        return False
    named = {pk for change in changes for pk in change.conversation_ids}
    for conversation_id, now, _ in _codes(
        Conversation.objects.filter(pk__in=named), user, kept.sight
    ):
        if kept.rows is not None:
            kept.put(conversation_id, now)
        elif now is not None:
            # It went from unread to read: its part comes out.
            kept.tally.add(now | UNREAD, -1)
            kept.tally.add(now)
    kept.marks = user.read_marks_changed_at
    return True


def _changes_since(
    seen_to: datetime | None, user: User, sight: tuple
) -> list[tuple[int, int | None, datetime]] | None:
    """(id, code as it is now or None when out of sight, changed at) of every conversation
    changed since ``seen_to`` (less the commit slack); None when there are too many."""
    changed = Conversation.objects.order_by()
    if seen_to is not None:
        changed = changed.filter(changed_at__gte=seen_to - versions.COMMIT_SLACK)
    found = _codes(changed, user, sight, limit=CHANGES_MAX + 1)
    return None if len(found) > CHANGES_MAX else found


def _codes(qs, user: User, sight: tuple, *, limit: int | None = None):
    """(id, code or None when out of ``sight``, changed at) of each of ``qs``: what
    ``user`` sees as the role and reach their counts were kept for (never their role now:
    an admin's view must not enter the rows kept for them as a standard user)."""
    role, reach = sight
    seen = (
        Value(True)
        if role == Role.ADMIN
        else ExpressionWrapper(in_sight(user, reach), output_field=BooleanField())
    )
    rows = (
        with_unread(qs, user)
        .annotate(
            sent=Exists(sent_by(user).filter(conversation=OuterRef("pk"))),
            mentioned=Exists(mentions_of(user).filter(conversation=OuterRef("pk"))),
            seen=seen,
        )
        .values_list(
            "pk", "sender_id", "owner_id", "is_unread", "sent", "mentioned", "seen", "changed_at"
        )
    )
    return [
        (
            pk,
            code(
                sender_id,
                UNREAD * unread
                | MENTIONED * mentioned
                | MINE * (owner_id == user.pk)
                | SENT * sent,
            )
            if seen
            else None,
            changed_at,
        )
        for pk, sender_id, owner_id, unread, sent, mentioned, seen, changed_at in (
            rows[:limit] if limit else rows
        )
    ]


def _counted(
    user: User, reach: Reach | None, sight: tuple, *, seen_to: datetime | None, rows: bool
) -> KeptUnread:
    """Every unread and mentioned conversation ``user`` can see, counted afresh
    (``seen_to``: the newest conversation change, read before), with their rows when
    ``rows`` and they are not too many."""
    marks, checked_at = user.read_marks_changed_at, timezone.now()
    unread = _unread_rows(user, reach, limit=ROWS_MAX + 1) if rows else []
    if rows and len(unread) <= ROWS_MAX:
        codes = {
            pk: code(sender_id, UNREAD | MINE * (owner_id == user.pk) | SENT * sent)
            for pk, sender_id, owner_id, sent in unread
        }
        for pk, sender_id, owner_id in mentioned_unseen(user, reach).values_list(
            "pk", "sender_id", "owner_id"
        ):
            codes[pk] = codes.get(pk, code(sender_id, MINE * (owner_id == user.pk))) | MENTIONED
        tally = Tally()
        for kept_code in codes.values():
            tally.add(kept_code)
        return KeptUnread(
            sight, marks, seen_to, checked_at, checked_at, tally, KeptRows(codes.items())
        )
    tally = Tally(mentions=mentioned_unseen(user, reach).order_by().count())
    for sender_id, n, mine, sent in _unread_by_sender(user, reach):
        tally.senders[sender_id] = n
        tally.mine += mine
        tally.sent += sent
    kept = KeptUnread(sight, marks, seen_to, checked_at, checked_at, tally, rows=None)
    # Without rows a later read is subtracted from these counts: they must not already
    # hold one that another tab made meanwhile.
    kept.usable = kept.settled and _read_marks_stamp(user) == marks
    return kept


def _read_marks_stamp(user: User) -> datetime | None:
    return User.objects.values_list("read_marks_changed_at", flat=True).get(pk=user.pk)


def _unread_union(user: User, reach: Reach | None) -> tuple[str, list]:
    """SQL of the unread conversations ``user`` can see (``c_id``, ``c_sender``,
    ``c_owner``) and where they sent (``sent.c_sent``), as ``FROM … seen LEFT JOIN … sent``.

    What they see is read part by part (``visible_parts``: no conversation in two), each
    part's unread ones (``with_unread``) index-only from an index that holds what is
    counted, against the read marks' own index; where they sent likewise. One condition
    over all the parts (an OR) made PostgreSQL visit every row it counts in the table: a
    busy agent's 85,000 conversations at ten million messages took 200 ms that way, 70 ms
    this way. Where they sent is joined, not asked row by row (``IN``): half the time.
    """
    base = with_unread(Conversation.objects.order_by(), user).filter(is_unread=True)
    columns = {"c_id": F("pk"), "c_sender": F("sender_id"), "c_owner": F("owner_id")}
    parts = [base.filter(part).values(**columns) for part in visible_parts(user, reach)]
    seen = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    # A part that names no line or team compiles to nothing and the union leaves it out;
    # the first part (mine, or an admin's everything) always stands.
    seen_sql, seen_params = seen.query.sql_with_params()
    sent = sent_by(user).values(c_sent=F("conversation_id"))
    sent_sql, sent_params = sent.query.sql_with_params()
    sql = f"FROM ({seen_sql}) seen LEFT JOIN ({sent_sql}) sent ON sent.c_sent = seen.c_id"
    return sql, [*seen_params, *sent_params]


def _unread_rows(user: User, reach: Reach | None, *, limit: int) -> list[tuple]:
    """(id, sender ID, owner, whether I sent) of each unread conversation, up to ``limit``."""
    union, params = _unread_union(user, reach)
    sql = f"SELECT seen.c_id, seen.c_sender, seen.c_owner, sent.c_sent IS NOT NULL {union} LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return cursor.fetchall()


def _unread_by_sender(user: User, reach: Reach | None) -> list[tuple[int, int, int, int]]:
    """(sender ID, unread, of them mine, of them where I sent), counted in the database."""
    union, params = _unread_union(user, reach)
    sql = f"""
        SELECT seen.c_sender, COUNT(*),
               SUM(CASE WHEN seen.c_owner = %s THEN 1 ELSE 0 END), COUNT(sent.c_sent)
        {union}
        GROUP BY seen.c_sender
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, *params])
        return cursor.fetchall()

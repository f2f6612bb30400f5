"""Per-user read marks (F-CV6): unread means a customer message newer than my mark.

Every change to a user's marks goes through here and stamps ``read_marks_changed_at``, and
notes which conversations it changed (``MarksChange``), so the unread counts kept for that
user follow it instead of being counted afresh.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from .. import window_facts
from ..access import visible_conversations
from ..live_events import event_record
from ..models import Conversation, ReadState, User
from ..versions import CACHE_SECONDS

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MarksChange:
    """What changed a user's read marks at a stamp: ``conversation_ids`` were marked read or
    unread, or a mention in them was seen, from the stamp ``before``. ``one_read``: one
    conversation went from unread to read, nothing else changing the marks since the page
    that opened it saw them (counts kept without their conversations subtract it)."""

    before: datetime | None
    conversation_ids: tuple[int, ...]
    one_read: bool = False


# A change to more conversations than this is not noted: the counts are counted afresh.
NOTED_MAX = 300
# Changes followed between two pages: more, and the counts are counted afresh.
CHAIN_MAX = 20


def _change_key(user_id: int, stamp: datetime) -> str:
    return f"marks-change:{user_id}:{stamp.isoformat()}"


def marks_changes_since(user: User, since: datetime | None) -> list[MarksChange] | None:
    """The noted changes to ``user``'s read marks from the stamp ``since`` to theirs now,
    newest first; None when one of them was not noted (or there are more than a few)."""
    changes, stamp = [], user.read_marks_changed_at
    while stamp != since:
        change = stamp and _noted(user, stamp)
        if change is None or len(changes) == CHAIN_MAX:
            return None
        changes.append(change)
        stamp = change.before
    return changes


def _note(user: User, stamp: datetime, change: MarksChange) -> None:
    """Note ``change`` under the stamp naming it, in the cache every process shares (a
    worker's change, a snooze waking, is followed by the web's pages), as JSON. Kept at
    once, inside the change's transaction: should it roll back, no user carries the stamp.
    A note that cannot be kept only means the counts are counted afresh."""
    if len(change.conversation_ids) > NOTED_MAX:
        return
    noted = {
        "before": change.before.isoformat() if change.before else None,
        "ids": list(change.conversation_ids),
        "one_read": change.one_read,
    }
    try:
        # Longer than the counts it moves are kept between full counts.
        caches["shared"].set(_change_key(user.pk, stamp), noted, CACHE_SECONDS)
    except Exception:
        log.warning("a change of read marks not noted in the shared cache", exc_info=True)


def _noted(user: User, stamp: datetime) -> MarksChange | None:
    try:
        noted = caches["shared"].get(_change_key(user.pk, stamp))
        if noted is None:
            return None
        before = noted["before"]
        return MarksChange(
            before=datetime.fromisoformat(before) if before is not None else None,
            conversation_ids=tuple(int(pk) for pk in noted["ids"]),
            one_read=noted["one_read"] is True,
        )
    except Exception:  # unreadable, or not what was written: not noted
        log.warning("a change of read marks unreadable in the shared cache", exc_info=True)
        return None


# ``_changing_marks``'s ``opened_seeing`` when the change is not opening one conversation.
_NOT_OPENED = object()


@contextmanager
def _changing_marks(
    user: User, conversations: Iterable[Conversation], *, opened_seeing=_NOT_OPENED
) -> Iterator[datetime]:
    """A transaction in which ``user``'s read marks of ``conversations`` change; yields the
    stamp that will name the change, and notes the change under it (``MarksChange``).
    ``opened_seeing``: the stamp the page showed when one of them was opened there; when
    nothing else changed the marks since, the change is that one read (``one_read``).

    The user's row is locked first, so changes to one user's marks (and the stamps naming
    them) happen one after another, and the marks and their new stamp commit together: a
    page that counted under a stamp counted exactly the marks it names.
    """
    with transaction.atomic():
        before = (
            User.objects.select_for_update(no_key=True)
            .values_list("read_marks_changed_at", flat=True)
            .get(pk=user.pk)
        )
        stamp = timezone.now()
        yield stamp
        User.objects.filter(pk=user.pk).update(read_marks_changed_at=stamp)
        user.read_marks_changed_at = stamp
        one_read = opened_seeing is not _NOT_OPENED and before == opened_seeing
        _note(user, stamp, MarksChange(before, tuple(c.pk for c in conversations), one_read))
        event_record(kind="read", user_id=user.pk)


def marks_stamp(user: User, conversation: Conversation) -> None:
    """Name a change to what ``user`` has seen in ``conversation`` besides their read marks
    (a mention seen, once written): the counts kept for them follow it."""
    with _changing_marks(user, [conversation]):
        pass


def conversation_mark_read(*, user: User, conversation: Conversation) -> bool:
    """``user`` has seen ``conversation`` up to now; return whether it was unread. Opening a
    conversation already read changes nothing (and so keeps the user's cached counts)."""
    if conversation.last_inbound_at is None or conversation.with_bot:
        # No customer message, or only the bot's to answer: nothing is unread, nor can it
        # become read (the counts never counted it).
        return False
    seen_stamp = user.read_marks_changed_at
    facts = window_facts.known(conversation, user)
    if facts is not None:
        if facts.read:
            return False
    elif (
        ReadState.objects.filter(user=user, conversation=conversation)
        .filter(last_read_at__gte=conversation.last_inbound_at)
        .exists()
    ):
        return False
    # Unless another tab changed the marks since they showed it unread, this read is the
    # whole change.
    with _changing_marks(user, [conversation], opened_seeing=seen_stamp) as stamp:
        _marks_set(user=user, conversations=[conversation], at=stamp)
    window_facts.update(conversation, user, read=True)
    return True


def counted_on_screen(*, user: User, public_id: str, count: Callable[[], T]) -> T:
    """``count()`` (of what ``user`` has unread) once what arrived in the conversation on
    their screen (``public_id``, a page's refresh asks ``?open=``) is read. A customer
    message may commit there between that read and the count: it is then read too and
    counted again, so no count ever shows what the reader is looking at as unread.

    A conversation without a read mark is left alone: it was marked unread meanwhile (by
    hand, a snooze waking), and a refresh asked for while it was still on screen must not
    undo that. Nothing is read of a conversation ``user`` may not see."""
    conversation = (
        visible_conversations(user).filter(public_id=public_id, read_states__user=user).first()
        if public_id
        else None
    )
    if conversation is None:
        return count()
    conversation_mark_read(user=user, conversation=conversation)
    counted = count()
    arrived = (
        Conversation.objects.filter(pk=conversation.pk)
        .exclude(last_inbound_at=conversation.last_inbound_at)
        .first()
    )
    if arrived is not None and conversation_mark_read(user=user, conversation=arrived):
        counted = count()
    return counted


def _marks_set(*, user: User, conversations: Iterable[Conversation], at: datetime) -> None:
    """Read marks at ``at`` (one upsert)."""
    ReadState.objects.bulk_create(
        [ReadState(user=user, conversation=c, last_read_at=at) for c in conversations],
        update_conflicts=True,
        unique_fields=["user", "conversation"],
        update_fields=["last_read_at"],
    )


def conversations_mark_read(*, user: User, conversations: Iterable[Conversation]) -> None:
    """Mark every one of ``conversations`` read for ``user``."""
    conversations = list(conversations)
    with _changing_marks(user, conversations) as stamp:
        _marks_set(user=user, conversations=conversations, at=stamp)


def conversations_mark_unread(*, user: User, conversations: Iterable[Conversation]) -> None:
    """Mark ``conversations`` unread for ``user``: without a read mark, any customer message
    counts as unread."""
    conversations = list(conversations)
    with _changing_marks(user, conversations):
        ReadState.objects.filter(user=user, conversation__in=conversations).delete()

"""Per-user read marks (F-CV6): unread means a customer message newer than my mark.

Every change to a user's marks goes through here and stamps ``read_marks_changed_at``, so
unread counts cached for that user are counted afresh, except after opening one unread
conversation: that change is noted (``SingleRead``) so the counts can follow it instead.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .. import window_facts
from ..access import visible_conversations
from ..live_events import event_record
from ..models import Conversation, ReadState, User
from ..versions import CACHE_SECONDS

T = TypeVar("T")


@dataclass(frozen=True)
class SingleRead:
    """The change that produced a read-mark stamp: one conversation went from unread to read,
    and the stamp before it."""

    before: datetime | None
    conversation_id: int


def _single_read_key(user_id: int, stamp: datetime) -> str:
    return f"single-read:{user_id}:{stamp.isoformat()}"


def single_read_behind(user: User) -> SingleRead | None:
    """What changed ``user``'s read marks last, when it was one conversation becoming read."""
    if user.read_marks_changed_at is None:
        return None
    return cache.get(_single_read_key(user.pk, user.read_marks_changed_at))


@contextmanager
def _changing_marks(user: User) -> Iterator[tuple[datetime | None, datetime]]:
    """A transaction in which ``user``'s read marks change; yields the stamp before it and
    the stamp that will name the change.

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
        yield before, stamp
        User.objects.filter(pk=user.pk).update(read_marks_changed_at=stamp)
        user.read_marks_changed_at = stamp
        event_record(kind="read", user_id=user.pk)


def marks_stamp(user: User) -> None:
    """Name a change to what ``user`` has seen besides their read marks (a mention seen,
    once written): the counts cached for them are counted afresh."""
    with _changing_marks(user):
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
    with _changing_marks(user) as (before, stamp):
        _marks_set(user=user, conversations=[conversation], at=stamp)
        if before == seen_stamp:
            # No change to the marks since they showed it unread: this read is the whole
            # change. Kept at once: should this transaction roll back, no user carries the
            # stamp.
            cache.set(
                _single_read_key(user.pk, stamp),
                SingleRead(before=before, conversation_id=conversation.pk),
                CACHE_SECONDS,  # as long as the counts it adjusts may be kept
            )
        # Otherwise another tab changed the marks meanwhile: the stamp moves, unexplained
        # (the counts are counted again).
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
    with _changing_marks(user) as (_, stamp):
        _marks_set(user=user, conversations=conversations, at=stamp)


def conversations_mark_unread(*, user: User, conversations: Iterable[Conversation]) -> None:
    """Mark ``conversations`` unread for ``user``: without a read mark, any customer message
    counts as unread."""
    with _changing_marks(user):
        ReadState.objects.filter(user=user, conversation__in=list(conversations)).delete()

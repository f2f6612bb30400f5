"""Per-user read marks (F-CV6): unread means a customer message newer than my mark.

Every change to a user's marks goes through here and stamps ``read_marks_changed_at``, so
unread counts cached for that user are counted afresh.
"""

from collections.abc import Iterable

from django.utils import timezone

from ..models import Conversation, ReadState, User


def _stamp(user: User, now) -> None:
    User.objects.filter(pk=user.pk).update(read_marks_changed_at=now)
    user.read_marks_changed_at = now


def conversation_mark_read(*, user: User, conversation: Conversation) -> None:
    """``user`` has seen ``conversation`` up to now. Opening a conversation already read
    changes nothing (and so keeps the user's cached counts)."""
    if conversation.last_inbound_at is None:
        return  # no customer message: nothing is unread, nor can it become read
    now = timezone.now()
    moved = ReadState.objects.filter(
        user=user, conversation=conversation, last_read_at__lt=conversation.last_inbound_at
    ).update(last_read_at=now)
    if not moved:
        _, created = ReadState.objects.get_or_create(
            user=user, conversation=conversation, defaults={"last_read_at": now}
        )
        if not created:
            return
    _stamp(user, now)


def conversations_mark_read(*, user: User, conversations: Iterable[Conversation]) -> None:
    """Mark every one of ``conversations`` read for ``user`` (one upsert)."""
    now = timezone.now()
    ReadState.objects.bulk_create(
        [ReadState(user=user, conversation=c, last_read_at=now) for c in conversations],
        update_conflicts=True,
        unique_fields=["user", "conversation"],
        update_fields=["last_read_at"],
    )
    _stamp(user, now)


def conversations_mark_unread(*, user: User, conversations: Iterable[Conversation]) -> None:
    """Mark ``conversations`` unread for ``user``: without a read mark, any customer message
    counts as unread."""
    ReadState.objects.filter(user=user, conversation__in=list(conversations)).delete()
    _stamp(user, timezone.now())

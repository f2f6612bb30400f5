"""Per-user read marks (F-CV6): unread means a customer message newer than my mark."""

from collections.abc import Iterable

from django.utils import timezone

from ..models import Conversation, ReadState, User


def conversation_mark_read(*, user: User, conversation: Conversation) -> None:
    ReadState.objects.update_or_create(
        user=user, conversation=conversation, defaults={"last_read_at": timezone.now()}
    )


def conversations_mark_read(*, user: User, conversations: Iterable[Conversation]) -> None:
    """Mark every one of ``conversations`` read for ``user`` (one upsert)."""
    now = timezone.now()
    ReadState.objects.bulk_create(
        [ReadState(user=user, conversation=c, last_read_at=now) for c in conversations],
        update_conflicts=True,
        unique_fields=["user", "conversation"],
        update_fields=["last_read_at"],
    )


def conversations_mark_unread(*, user: User, conversations: Iterable[Conversation]) -> None:
    """Mark ``conversations`` unread for ``user``: without a read mark, any customer message
    counts as unread."""
    ReadState.objects.filter(user=user, conversation__in=list(conversations)).delete()

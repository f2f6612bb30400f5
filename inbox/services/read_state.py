"""Per-user read marks (F-CV6): unread means a customer message newer than my mark."""

from django.utils import timezone

from ..models import Conversation, ReadState, User


def conversation_mark_read(*, user: User, conversation: Conversation) -> None:
    ReadState.objects.update_or_create(
        user=user, conversation=conversation, defaults={"last_read_at": timezone.now()}
    )

"""Manual conversation status changes (F-CV5): close, and reopen.

The transitions, defined once:

- open or assigned → closed (a close);
- closed → open, or assigned when the conversation has an owner (a reopen).

Assigning is ``services.assignment``; a customer message reopens through inbound.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ..models import Conversation, ConversationEvent, User

S = Conversation.Status
TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.CLOSED},
    S.ASSIGNED: {S.CLOSED},
    S.CLOSED: {S.OPEN},
}


def can_set_status(current: str, requested: str) -> bool:
    return requested in TRANSITIONS.get(current, set())


def conversations_set_status(
    *, conversations: Iterable[Conversation], status: str, by: User | None
) -> list[Conversation]:
    """Close or reopen each of ``conversations`` that allows it, in one transaction.

    ``by`` is the acting user (None for automatic changes). Locks the rows; a conversation
    for which the change is not a valid transition is left alone. A reopened conversation
    is ``assigned`` when it has an owner. Each change records a STATUS event. Returns the
    conversations that changed.
    """
    if status not in (S.OPEN, S.CLOSED):
        raise ValueError(f"Status {status!r} is not set by hand")
    pks = [c.pk for c in conversations]
    now = timezone.now()
    changed: list[Conversation] = []
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().filter(pk__in=pks).order_by("pk")
        for conversation in locked:
            if not can_set_status(conversation.status, status):
                continue
            before = conversation.status
            if status == S.CLOSED:
                conversation.status, conversation.closed_at = S.CLOSED, now
                conversation.waiting_since = None
            else:
                conversation.status = S.ASSIGNED if conversation.owner_id else S.OPEN
                conversation.closed_at = None
            conversation.changed_at = now
            conversation.save(update_fields=["status", "closed_at", "waiting_since", "changed_at"])
            changed.append(conversation)
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.STATUS,
                actor=by,
                body="Closed" if status == S.CLOSED else "Reopened",
                data={"from": before, "to": conversation.status},
            )
    return changed


def conversation_set_status(*, conversation: Conversation, status: str, by: User | None) -> bool:
    """Close or reopen one conversation; False when that is not a valid transition."""
    changed = conversations_set_status(conversations=[conversation], status=status, by=by)
    if changed:
        conversation.status = changed[0].status
    return bool(changed)

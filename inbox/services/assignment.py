"""Assigning conversations (F-CV7): admins move ownership; the new owner is told."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ..models import Conversation, ConversationEvent, Notification, User
from .read_state import conversations_mark_unread


class AssignRefused(Exception):
    """An assignment that must not happen; the message says why, for people."""


def conversations_assign(
    *, conversations: Iterable[Conversation], assignee: User, by: User
) -> list[Conversation]:
    """Give every one of ``conversations`` to ``assignee``, in one transaction.

    Locks the conversation rows. Each conversation that changes owner becomes assigned,
    unread for ``assignee`` (their read mark is removed), gets an ASSIGNED event in its
    thread, and ``assignee`` gets a notification (unless they assigned it to themselves).
    Conversations ``assignee`` already owns are left as they are. Returns the changed ones.
    """
    if not by.is_admin:
        raise AssignRefused("Only an admin can assign conversations.")
    if not assignee.is_active:
        raise AssignRefused(f"{assignee} is deactivated and cannot be assigned conversations.")
    pks = [c.pk for c in conversations]
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            Conversation.objects.select_for_update(of=("self",))
            .select_related("owner")
            .filter(pk__in=pks)
            .exclude(owner=assignee)
            .order_by("pk")
        )
        if not locked:
            return []
        changed = [c.pk for c in locked]
        # The assignee also becomes who the customer's next message goes to on a shared
        # line (F-CV3: the user who last sent, or who was assigned, whichever came later).
        Conversation.objects.filter(pk__in=changed).update(
            owner=assignee,
            last_sender=assignee,
            status=Conversation.Status.ASSIGNED,
            closed_at=None,
            changed_at=now,
        )
        conversations_mark_unread(user=assignee, conversations=locked)
        ConversationEvent.objects.bulk_create(
            ConversationEvent(
                conversation=c,
                kind=ConversationEvent.Kind.ASSIGNED,
                actor=by,
                body=f"to {assignee}" + (f" (was {c.owner})" if c.owner else ""),
                data={"from": c.owner_id, "to": assignee.pk},
            )
            for c in locked
        )
        if assignee.pk != by.pk:
            Notification.objects.bulk_create(
                Notification(
                    user=assignee, kind=Notification.Kind.ASSIGNED, conversation=c, actor=by
                )
                for c in locked
            )
    for c in locked:
        c.owner, c.status, c.closed_at, c.changed_at = (
            assignee,
            Conversation.Status.ASSIGNED,
            None,
            now,
        )
    return locked


def conversation_assign(*, conversation: Conversation, assignee: User, by: User) -> bool:
    """Give ``conversation`` to ``assignee``; False when they already own it."""
    changed = conversations_assign(conversations=[conversation], assignee=assignee, by=by)
    if changed:
        conversation.owner, conversation.status = assignee, Conversation.Status.ASSIGNED
    return bool(changed)

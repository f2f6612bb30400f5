"""Team conversations (F-CV8): join and leave in collaboration mode, grab in grab mode.

A collaboration team's members all see its conversations and may join them; in a grab-mode
team the first member to grab a conversation owns it and the others stop seeing it (see
``inbox.access.visible_conversations``). Admins may do what members do. The callers have
already resolved ``conversation`` through ``inbox.access.conversation_for``.
"""

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from ..models import Conversation, ConversationEvent, Participation, TeamMode, User


class TeamActionRefused(Exception):
    """Join, leave or grab does not apply; the message is for the agent."""


def _is_member(user: User, conversation: Conversation) -> bool:
    if conversation.team_id is None:
        return False
    return user.is_admin or conversation.team.members.filter(pk=user.pk).exists()


def _has_joined(user: User, conversation: Conversation) -> bool:
    return Participation.objects.filter(
        user=user, conversation=conversation, joined_at__isnull=False
    ).exists()


def can_join(user: User, conversation: Conversation) -> bool:
    """A member of the conversation's collaboration team who has not joined yet."""
    return (
        conversation.team_id is not None
        and conversation.team.mode == TeamMode.COLLABORATION
        and conversation.owner_id != user.pk
        and _is_member(user, conversation)
        and not _has_joined(user, conversation)
    )


def can_grab(user: User, conversation: Conversation) -> bool:
    """A member of the conversation's grab-mode team, while nobody has grabbed it."""
    return (
        conversation.team_id is not None
        and conversation.team.mode == TeamMode.GRAB
        and conversation.owner_id is None
        and conversation.status != Conversation.Status.CLOSED
        and _is_member(user, conversation)
    )


def can_leave(user: User, conversation: Conversation) -> bool:
    """Someone who joined, or the member who grabbed a grab-mode conversation."""
    if _has_joined(user, conversation):
        return True
    return (
        conversation.team_id is not None
        and conversation.team.mode == TeamMode.GRAB
        and conversation.owner_id == user.pk
    )


def _record(conversation: Conversation, kind: str, user: User, body: str, **data) -> None:
    now = timezone.now()
    ConversationEvent.objects.create(
        conversation=conversation, kind=kind, actor=user, body=body, data=data
    )
    Conversation.objects.filter(pk=conversation.pk).update(changed_at=now)


def conversation_join(*, conversation: Conversation, user: User) -> None:
    """``user`` joins a collaboration-team conversation; the thread shows it."""
    if not can_join(user, conversation):
        raise TeamActionRefused("You cannot join this conversation.")
    with transaction.atomic():
        Participation.objects.update_or_create(
            user=user, conversation=conversation, defaults={"joined_at": timezone.now()}
        )
        _record(conversation, ConversationEvent.Kind.JOINED, user, "")


def conversation_leave(*, conversation: Conversation, user: User) -> None:
    """``user`` leaves; a grabbed conversation goes back to its team for someone else to grab.

    The release is a conditional UPDATE (still owned by ``user``), so it never takes a
    conversation away from someone an admin assigned it to in the meantime.
    """
    if not can_leave(user, conversation):
        raise TeamActionRefused("You have not joined this conversation.")
    with transaction.atomic():
        Participation.objects.filter(user=user, conversation=conversation).update(joined_at=None)
        if conversation.team.mode == TeamMode.GRAB:
            closed = Conversation.Status.CLOSED
            Conversation.objects.filter(pk=conversation.pk, owner=user).update(
                owner=None,
                status=Case(When(status=closed, then=Value(closed)), default=Value("open")),
            )
        _record(conversation, ConversationEvent.Kind.LEFT, user, "")
    conversation.refresh_from_db()


def conversation_grab(*, conversation: Conversation, user: User) -> None:
    """``user`` takes a grab-mode conversation nobody owns; the first grab wins.

    Atomic without a lock: the UPDATE only matches while ``owner`` is null, and a row count
    of zero means someone else was first.
    """
    if not can_grab(user, conversation):
        raise TeamActionRefused("This conversation cannot be grabbed.")
    now = timezone.now()
    with transaction.atomic():
        grabbed = (
            Conversation.objects.filter(pk=conversation.pk, owner__isnull=True)
            .exclude(status=Conversation.Status.CLOSED)
            .update(owner=user, status=Conversation.Status.ASSIGNED, changed_at=now)
        )
        if not grabbed:
            raise TeamActionRefused("Someone else grabbed this conversation first.")
        Participation.objects.update_or_create(
            user=user, conversation=conversation, defaults={"joined_at": now}
        )
        _record(conversation, ConversationEvent.Kind.ASSIGNED, user, "Grabbed", to=user.pk)
    conversation.refresh_from_db()

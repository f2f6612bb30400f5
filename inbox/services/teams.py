"""Team conversations (F-CV8): who may join, leave, grab and reply, and who owns what.

The rules, defined here once (``inbox.access.can_send_in`` and the send path ask here):

- **Collaboration team.** Every member sees the team's conversations. A member *joins* to
  take part; only the owner, a member who joined, or an admin may reply (the server refuses
  anyone else). When a joined member replies in a conversation someone else owns, they
  become its owner: the customer's next message goes to whoever answered last (F-CV3), so
  the move is made at the reply, recorded in the thread, and the previous owner is told.
- **Grab team.** The first member to grab a conversation owns it and the others stop
  seeing it (see ``inbox.access.visible_conversations``); only they (or an admin) reply.
- **Leave**, in either mode, ends the member's part: if they owned the conversation it goes
  back to the team unowned (out of their My Inbox; *rep needed* again).

Every change is a ConversationEvent in the thread and bumps ``changed_at``, so every open
window shows it on the next live poll. Admins may do what members do. The callers have
already resolved ``conversation`` through ``inbox.access.conversation_for``.
"""

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from .. import window_facts
from ..live_events import event_record
from ..models import (
    Conversation,
    ConversationEvent,
    Notification,
    Participation,
    TeamMode,
    User,
)


class TeamActionRefused(Exception):
    """Join, leave or grab does not apply; the message is for the agent."""


def _is_member(user: User, conversation: Conversation) -> bool:
    if conversation.team_id is None:
        return False
    return user.is_admin or conversation.team.members.filter(pk=user.pk).exists()


def _has_joined(user: User, conversation: Conversation) -> bool:
    facts = window_facts.known(conversation, user)
    if facts is not None:
        return facts.user_joined
    return Participation.objects.filter(
        user=user, conversation=conversation, joined_at__isnull=False
    ).exists()


def _mode(conversation: Conversation) -> str | None:
    return conversation.team.mode if conversation.team_id is not None else None


def can_join(user: User, conversation: Conversation) -> bool:
    """A member of the conversation's collaboration team who has not joined yet."""
    return (
        _mode(conversation) == TeamMode.COLLABORATION
        and conversation.owner_id != user.pk
        and _is_member(user, conversation)
        and not _has_joined(user, conversation)
    )


def can_grab(user: User, conversation: Conversation) -> bool:
    """A member of the conversation's grab-mode team, while nobody has grabbed it."""
    return (
        _mode(conversation) == TeamMode.GRAB
        and conversation.owner_id is None
        and conversation.status != Conversation.Status.CLOSED
        and _is_member(user, conversation)
    )


def can_leave(user: User, conversation: Conversation) -> bool:
    """Someone who joined, or the owner of a team conversation."""
    if conversation.team_id is not None and conversation.owner_id == user.pk:
        return True
    return _has_joined(user, conversation)


def team_may_reply(user: User, conversation: Conversation) -> bool:
    """Whether ``user``, neither its owner nor an admin, may reply in a team conversation:
    in a collaboration team after joining it, in a grab team never (they grab it first)."""
    if _mode(conversation) == TeamMode.COLLABORATION:
        return _has_joined(user, conversation)
    return False


def _record(conversation: Conversation, kind: str, user: User, body: str, **data) -> None:
    now = timezone.now()
    ConversationEvent.objects.create(
        conversation=conversation, kind=kind, actor=user, body=body, data=data
    )
    Conversation.objects.filter(pk=conversation.pk).update(changed_at=now)
    event_record(kind=kind, conversations=[conversation])


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
    """``user`` leaves; a conversation they owned goes back to its team, unowned.

    The release is a conditional UPDATE (still owned by ``user``), so it never takes a
    conversation away from someone an admin assigned it to in the meantime.
    """
    if not can_leave(user, conversation):
        raise TeamActionRefused("You have not joined this conversation.")
    with transaction.atomic():
        Participation.objects.filter(user=user, conversation=conversation).update(joined_at=None)
        closed = Conversation.Status.CLOSED
        released = Conversation.objects.filter(pk=conversation.pk, owner=user).update(
            owner=None,
            status=Case(When(status=closed, then=Value(closed)), default=Value("open")),
        )
        body = "Gave the conversation back to the team" if released else ""
        _record(conversation, ConversationEvent.Kind.LEFT, user, body)
    conversation.refresh_from_db()


def _taken_sentence(user: User, conversation: Conversation, otherwise: str) -> str:
    """Who grabbed ``conversation`` before ``user`` and when, for a member whose window still
    shows it (a line shared with them, say); ``otherwise`` when nobody of theirs did."""
    from ..access import taken_from  # inbox.access imports this module

    taken = taken_from(user, conversation.public_id)
    return taken.sentence if taken is not None else otherwise


def conversation_grab(*, conversation: Conversation, user: User) -> None:
    """``user`` takes a grab-mode conversation nobody owns; the first grab wins.

    Atomic without a lock: the UPDATE only matches while ``owner`` is null, and a row count
    of zero means someone else was first.
    """
    if not can_grab(user, conversation):
        raise TeamActionRefused(
            _taken_sentence(user, conversation, "This conversation cannot be grabbed.")
        )
    now = timezone.now()
    with transaction.atomic():
        grabbed = (
            Conversation.objects.filter(pk=conversation.pk, owner__isnull=True)
            .exclude(status=Conversation.Status.CLOSED)
            .update(owner=user, status=Conversation.Status.ASSIGNED, changed_at=now)
        )
        if not grabbed:
            raise TeamActionRefused(
                _taken_sentence(user, conversation, "Someone else grabbed this conversation first.")
            )
        Participation.objects.update_or_create(
            user=user, conversation=conversation, defaults={"joined_at": now}
        )
        _record(conversation, ConversationEvent.Kind.ASSIGNED, user, "Grabbed", to=user.pk)
    conversation.refresh_from_db()


def conversation_reply_take_over(*, conversation: Conversation, author: User) -> bool:
    """A joined member's reply in a collaboration conversation someone else owns makes them
    its owner; the thread records it and the previous owner is notified. Returns whether
    ownership moved. Called by the send path inside its transaction, before it records the
    reply, with ``conversation`` locked or freshly read."""
    if (
        conversation.owner_id in (None, author.pk)
        or _mode(conversation) != TeamMode.COLLABORATION
        or not _has_joined(author, conversation)
    ):
        return False
    previous = conversation.owner
    moved = Conversation.objects.filter(pk=conversation.pk, owner=previous).update(
        owner=author, status=Conversation.Status.ASSIGNED
    )
    if not moved:
        return False
    conversation.owner, conversation.status = author, Conversation.Status.ASSIGNED
    _record(
        conversation,
        ConversationEvent.Kind.ASSIGNED,
        author,
        f"Took over by replying (was {previous})",
        **{"from": previous.pk, "to": author.pk},
    )
    Notification.objects.create(
        user=previous, kind=Notification.Kind.TAKEN_OVER, conversation=conversation, actor=author
    )
    return True

"""Assigning and transferring conversations (F-CV7): ownership moves; the new owner is told.

Admins assign to anyone and hand a conversation to any team. An agent who may reply in a
conversation transfers it to a teammate (someone in one of their teams) or to one of their
teams; a conversation handed to a team waits there unowned, *rep needed*, for a member.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, CharField, F, Value, When
from django.utils import timezone

from ..access import can_send_in
from ..happenings import Happening, announce
from ..live_events import event_record
from ..models import Conversation, ConversationEvent, Notification, Team, User
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
    return _assign(conversations=conversations, assignee=assignee, by=by)


def _assign(*, conversations: Iterable[Conversation], assignee: User, by: User):
    if not assignee.is_active:
        raise AssignRefused(f"{assignee} is deactivated and cannot be assigned conversations.")
    pks = [c.pk for c in conversations]
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
        # Stamped once the locks are held, not before waiting for them (a stamp must not be
        # older than its commit by more than ``versions.COMMIT_SLACK``).
        now = timezone.now()
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
        for c in locked:
            announce(Happening.ASSIGNED, conversation_id=c.pk, data={"to": assignee.pk})
        if assignee.pk != by.pk:
            Notification.objects.bulk_create(
                Notification(
                    user=assignee, kind=Notification.Kind.ASSIGNED, conversation=c, actor=by
                )
                for c in locked
            )
    event_record(kind="assigned", conversations=locked)
    # Whoever had them is told too, though they may no longer see them.
    for previous in {c.owner_id for c in locked if c.owner_id and c.owner_id != assignee.pk}:
        mine = [c for c in locked if c.owner_id == previous]
        event_record(kind="assigned", conversations=mine, user_id=previous)
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


USER_NAMES = ["id", "username", "first_name", "last_name"]


@dataclass(frozen=True)
class TransferTargets:
    """Who and which teams ``by`` may hand a conversation to, as the header offers them."""

    users: list[User]
    teams: list[Team]

    def __bool__(self) -> bool:
        return bool(self.users or self.teams)


def transfer_targets(*, conversation: Conversation, by: User) -> TransferTargets:
    """Admins: every active user and every team. An agent who may reply: their teammates
    and their teams. Anyone else: nobody. One query (a UNION of the people and the teams;
    none for an agent who may not)."""
    if not by.is_admin and not can_send_in(by, conversation):
        return TransferTargets(users=[], teams=[])
    users = User.objects.filter(is_active=True).exclude(pk=by.pk)
    teams = Team.objects.all()
    if not by.is_admin:
        users = users.filter(teams__members=by)  # the UNION drops a teammate met twice
        teams = teams.filter(members=by)
    if conversation.owner_id:
        users = users.exclude(pk=conversation.owner_id)
    text = CharField()
    people = users.annotate(
        kind=Value("u", text), first=F("first_name"), name=F("username"), last=F("last_name")
    ).values_list("kind", "pk", "first", "name", "last")
    groups = teams.annotate(
        kind=Value("t", text), first=Value("", text), last=Value("", text)
    ).values_list("kind", "pk", "first", "name", "last")
    rows = people.order_by().union(groups.order_by()).order_by("kind", "first", "name")
    found = TransferTargets(users=[], teams=[])
    for kind, pk, first, name, last in rows:
        # Loaded as ``only()`` would load them: the other fields are read if ever asked.
        if kind == "t":
            found.teams.append(Team.from_db(rows.db, ["id", "name"], [pk, name]))
        else:
            person = [pk, name, first, last]
            found.users.append(User.from_db(rows.db, USER_NAMES, person))
    return found


def conversation_transfer(
    *,
    conversation: Conversation,
    by: User,
    to_user: User | None = None,
    to_team: Team | None = None,
) -> None:
    """Hand ``conversation`` to ``to_user`` (assigned to them, unread, notified) or to
    ``to_team`` (unowned in that team); refused unless ``transfer_targets`` offers it."""
    targets = transfer_targets(conversation=conversation, by=by)
    if to_user is not None:
        if to_user.pk not in {u.pk for u in targets.users}:
            raise AssignRefused(f"You cannot hand this conversation to {to_user}.")
        _assign(conversations=[conversation], assignee=to_user, by=by)
    elif to_team is not None:
        if to_team.pk not in {t.pk for t in targets.teams}:
            raise AssignRefused(f"You cannot hand this conversation to the team {to_team}.")
        _hand_to_team(conversation=conversation, team=to_team, by=by)
    else:
        raise AssignRefused("Choose a teammate or a team.")
    conversation.refresh_from_db()


def _hand_to_team(*, conversation: Conversation, team: Team, by: User) -> None:
    closed = Conversation.Status.CLOSED
    with transaction.atomic():
        locked = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(pk=conversation.pk)
        )
        Conversation.objects.filter(pk=locked.pk).update(
            team=team,
            owner=None,
            status=Case(When(status=closed, then=Value(closed)), default=Value("open")),
            changed_at=timezone.now(),
        )
        ConversationEvent.objects.create(
            conversation=locked,
            kind=ConversationEvent.Kind.ASSIGNED,
            actor=by,
            body=f"to the team {team}" + (f" (was {locked.owner})" if locked.owner else ""),
            data={"from": locked.owner_id, "team": team.pk},
        )
        event_record(kind="assigned", conversations=[locked])
        if locked.owner_id is not None:
            event_record(kind="assigned", conversations=[locked], user_id=locked.owner_id)
        announce(Happening.ASSIGNED, conversation_id=locked.pk, data={"team": team.pk})

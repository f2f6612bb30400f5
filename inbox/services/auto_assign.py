"""Auto-assignment (F-AU1): new conversations go round robin to a team's available members."""

from django.db import transaction

from ..happenings import Happening, announce
from ..models import Conversation, ConversationEvent, Organisation, Team, User


def availability_set(*, user: User, is_available: bool) -> None:
    """An agent marks themself available (or not) for auto-assignment."""
    User.objects.filter(pk=user.pk).update(is_available=is_available)
    user.is_available = is_available


def auto_assign_next_member(*, team: Team) -> User | None:
    """The available member after the team's round-robin cursor, and move the cursor to them.

    Locks the team row (``select_for_update``), so two conversations arriving at once go to
    two different members. Call inside a transaction.
    """
    team = Team.objects.select_for_update().get(pk=team.pk)
    members = list(team.members.filter(is_active=True, is_available=True).order_by("pk").only("pk"))
    if not members:
        return None
    after = team.last_assigned_to_id or 0
    chosen = next((m for m in members if m.pk > after), members[0])
    Team.objects.filter(pk=team.pk).update(last_assigned_to=chosen)
    return User.objects.get(pk=chosen.pk)


def conversation_auto_assign(*, conversation: Conversation) -> User | None:
    """Pick an owner for a new conversation on a team's sender ID, recording the assignment.

    Returns None when the organisation or the team has auto-assignment off, or nobody in
    the team is available; the conversation then waits in the team for someone to take it.
    The caller (inbound routing) sets the owner in its own transaction.
    """
    team = conversation.sender_id.team
    if team is None or not team.auto_assign or not Organisation.load().auto_assign_enabled:
        return None
    with transaction.atomic():
        member = auto_assign_next_member(team=team)
        if member is not None:
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.ASSIGNED,
                body=f"Assigned to {member} automatically",
                data={"to": member.pk, "auto": True},
            )
            announce(Happening.ASSIGNED, conversation_id=conversation.pk, data={"to": member.pk})
    return member

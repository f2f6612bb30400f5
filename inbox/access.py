"""Who may see and act on what. Every view and service asks here; nowhere else decides."""

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Conversation, SenderId, TeamMode, User


def usable_sender_ids(user: User) -> QuerySet[SenderId]:
    """Sender IDs ``user`` may send from and whose inbox they may open (F-CH4, F-IN2)."""
    qs = SenderId.objects.filter(is_active=True)
    if user.is_admin:
        return qs
    return qs.filter(
        Q(owner=user)
        | Q(pk__in=SenderId.shared_with.through.objects.filter(user=user).values("senderid_id"))
        | Q(team__in=user.teams.all())
    )


def visible_conversations(user: User) -> QuerySet[Conversation]:
    """Conversations ``user`` may open.

    Admins see all. A standard user sees those they own, those on sender IDs they own or
    share, and those of their teams: all of them in collaboration mode, in grab mode only
    the ones nobody has grabbed yet or that they grabbed.
    """
    qs = Conversation.objects.all()
    if user.is_admin:
        return qs
    sender_ids = SenderId.objects.filter(
        Q(owner=user)
        | Q(pk__in=SenderId.shared_with.through.objects.filter(user=user).values("senderid_id"))
    )
    team_ids = user.teams.values("pk")
    return qs.filter(
        Q(owner=user)
        | Q(sender_id__in=sender_ids)
        | (Q(team__in=team_ids) & (Q(team__mode=TeamMode.COLLABORATION) | Q(owner__isnull=True)))
    )


def conversation_for(user: User, public_id: str) -> Conversation:
    """The conversation ``public_id`` if ``user`` may see it; otherwise 404, never a leak."""
    conversation = (
        visible_conversations(user)
        .select_related("contact", "sender_id", "owner", "team")
        .filter(public_id=public_id)
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation")
    return conversation


def can_send_in(user: User, conversation: Conversation) -> bool:
    """Whether ``user`` may write to the customer in ``conversation``.

    In a grab-mode team only the member who grabbed it (or an admin) replies; the server
    enforces it, not just the screen.
    """
    if user.is_admin or conversation.owner_id == user.pk:
        return True
    team = conversation.team
    if team is not None and team.mode == TeamMode.GRAB:
        return False
    return visible_conversations(user).filter(pk=conversation.pk).exists()


def can_export(user: User, conversation: Conversation) -> bool:
    """Transcripts and media downloads are for admins and the conversation's owner (F-CV11)."""
    return user.is_admin or conversation.owner_id == user.pk

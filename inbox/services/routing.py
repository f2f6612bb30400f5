"""Inbound routing (F-CV3): whose inbox a customer's message lands in."""

from ..models import Conversation, Participation, Role, TeamMode, User
from .auto_assign import conversation_auto_assign


def first_admin() -> User | None:
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()


def inbound_owner(*, conversation: Conversation, contact_is_new: bool) -> User | None:
    """The user who should own ``conversation`` when a customer message arrives.

    - Owned sender ID: an unowned conversation goes to the sender ID's owner.
    - Shared sender ID: the user who sent the last outgoing message in this conversation,
      or who was assigned it since.
    - Already owned (assigned or answered): stays with its owner.
    - Team sender ID, first customer message: round robin among the team's available
      members when the team auto-assigns (F-AU1); in a grab-mode team nobody, until a
      member grabs it.
    - Unknown customer writing for the first time: an admin.
    - A deactivated user never receives: the next rule applies instead.
    - Otherwise: the user who last wrote to this customer from any sender ID, else an admin.
    """
    sender = conversation.sender_id
    last_sender, owner = conversation.last_sender, conversation.owner
    if sender.is_shared and last_sender is not None and last_sender.is_active:
        return last_sender
    if owner is not None and owner.is_active:
        return owner
    if sender.owner is not None and sender.owner.is_active:
        return sender.owner
    if sender.team_id:
        if conversation.last_inbound_at is None:
            assignee = conversation_auto_assign(conversation=conversation)
            if assignee is not None:
                return assignee
        if sender.team.mode == TeamMode.GRAB:
            return None
    if not contact_is_new:
        recent = (
            Participation.objects.filter(
                conversation__contact_id=conversation.contact_id, last_sent_at__isnull=False
            )
            .select_related("user")
            .order_by("-last_sent_at")
            .first()
        )
        if recent is not None and recent.user.is_active:
            return recent.user
    return first_admin()

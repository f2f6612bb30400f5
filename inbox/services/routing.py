"""Inbound routing (F-CV3): whose inbox a customer's message lands in."""

from ..models import Conversation, Participation, Role, User
from .auto_assign import conversation_auto_assign


def first_admin() -> User | None:
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()


def inbound_owner(*, conversation: Conversation, contact_is_new: bool) -> User | None:
    """The user who should own ``conversation`` when a customer message arrives; None leaves
    it unowned where it is (*rep needed* for the team or the users the sender ID is shared
    with).

    - Shared sender ID: the user who sent the last outgoing message in this conversation,
      or who was assigned it since.
    - Already owned (assigned or answered): stays with its owner.
    - Owned sender ID: an unowned conversation goes to the sender ID's owner.
    - Team conversation (a team's sender ID, or handed to a team): the team's queue. The
      first customer message goes round robin to the team's available members when the
      team auto-assigns (F-AU1); otherwise, and in either team mode, nobody until a member
      joins, grabs or is assigned it.
    - A known customer: the user who last wrote to them from any sender ID.
    - A deactivated user never receives: the next rule applies instead.
    - Otherwise nobody on a sender ID shared with users (they see it, *rep needed*); an
      admin only on a line of nobody's (no owner, no team, nobody it is shared with).
    """
    sender = conversation.sender_id
    last_sender, owner = conversation.last_sender, conversation.owner
    if sender.is_shared and last_sender is not None and last_sender.is_active:
        return last_sender
    if owner is not None and owner.is_active:
        return owner
    if sender.owner is not None and sender.owner.is_active:
        return sender.owner
    if sender.team_id or conversation.team_id:
        if conversation.last_inbound_at is None and sender.team_id:
            return conversation_auto_assign(conversation=conversation)
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
    if sender.shared_with.exists():
        return None
    return first_admin()

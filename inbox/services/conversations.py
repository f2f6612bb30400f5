"""Starting conversations (F-CV2)."""

from django.db import transaction

from ..access import usable_sender_ids
from ..models import Contact, Conversation, Message, SenderId, User
from ..phone import normalise_phone
from .sending import SendRefused, message_send


def conversation_start(
    *,
    user: User,
    sender: SenderId,
    phone: str,
    body: str,
    idempotency_key: str | None = None,
) -> tuple[Conversation, Message]:
    """Open (or reuse) the thread with ``phone`` on ``sender`` and send the first message.

    Raises InvalidPhoneNumber for a malformed number and SendRefused when the user may not
    use the sender ID or the send itself is refused. Whoever starts a new thread owns it
    (on a grab-mode team line too: starting it is taking it).
    """
    e164 = normalise_phone(phone)
    if not usable_sender_ids(user).filter(pk=sender.pk).exists():
        raise SendRefused("You cannot send from this sender ID.")
    with transaction.atomic():
        contact, _ = Contact.objects.get_or_create(phone_e164=e164)
        conversation, _ = Conversation.objects.select_related("contact", "sender_id").get_or_create(
            contact=contact,
            sender_id=sender,
            defaults={"team": sender.team, "owner": user, "status": Conversation.Status.ASSIGNED},
        )
        message = message_send(
            conversation=conversation, author=user, body=body, idempotency_key=idempotency_key
        )
    return conversation, message

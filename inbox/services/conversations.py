"""Starting conversations (F-CV2)."""

from collections.abc import Callable

from django.db import transaction

from ..access import usable_sender_ids
from ..channels import channel_rules
from ..models import Conversation, Message, SenderId, User, WhatsAppTemplate
from .identities import identity_for
from .sending import SendRefused, message_send
from .whatsapp_consent import whatsapp_consent_set
from .whatsapp_templates import whatsapp_template_send


def conversation_start(
    *,
    user: User,
    sender: SenderId,
    phone: str,
    body: str,
    idempotency_key: str | None = None,
) -> tuple[Conversation, Message]:
    """Open (or reuse) the thread with ``phone`` on ``sender`` and send the first message.

    The channel checks the address (``normalise_address``): a malformed number raises
    InvalidPhoneNumber, an InvalidAddress. SendRefused when the user may not use the sender
    ID or the send itself is refused. Whoever starts a new thread owns it
    (on a grab-mode team line too: starting it is taking it).
    """
    return _start(
        user=user,
        sender=sender,
        phone=phone,
        send=lambda conversation: message_send(
            conversation=conversation, author=user, body=body, idempotency_key=idempotency_key
        ),
    )


def conversation_start_with_template(
    *,
    user: User,
    sender: SenderId,
    phone: str,
    template: WhatsAppTemplate,
    values: dict[str, str],
    idempotency_key: str | None = None,
    consent_source: str = "",
) -> tuple[Conversation, Message]:
    """Like ``conversation_start``, with a registered WhatsApp template as the first message.

    A ``consent_source`` records the customer's opt-in first (the agent confirms it).
    """

    def send(conversation: Conversation) -> Message:
        if consent_source:
            whatsapp_consent_set(
                contact=conversation.contact, granted=True, source=consent_source, actor=user
            )
        return whatsapp_template_send(
            conversation=conversation,
            author=user,
            template=template,
            values=values,
            idempotency_key=idempotency_key,
        )

    return _start(user=user, sender=sender, phone=phone, send=send)


def _start(
    *, user: User, sender: SenderId, phone: str, send: Callable[[Conversation], Message]
) -> tuple[Conversation, Message]:
    e164 = channel_rules(sender.channel).normalise_address(phone)
    if not usable_sender_ids(user).filter(pk=sender.pk).exists():
        raise SendRefused("You cannot send from this sender ID.")
    with transaction.atomic():
        rules = channel_rules(sender.channel)
        identity, _ = identity_for(
            kind=rules.identity_kind, address=e164, finds_kinds=rules.finds_kinds
        )
        conversation, _ = Conversation.objects.select_related("contact", "sender_id").get_or_create(
            sender_id=sender,
            customer_address=e164,
            defaults={
                "contact": identity.contact,
                "identity": identity,
                "team": sender.team,
                "owner": user,
                "status": Conversation.Status.ASSIGNED,
            },
        )
        message = send(conversation)
    return conversation, message

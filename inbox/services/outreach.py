"""Messages sent to many customers at once (campaigns, issue 27), on the ordinary send path.

An outreach message goes through the same checks as an agent's (opt-out, the channel's
window, template approval and WhatsApp consent), is saved with an idempotency key that
names the one recipient it is for (the database refuses a second send), and is dispatched
with its sender ID's pacing; ``message_dispatch`` checks the rules again when it goes.

It opens no conversation in anyone's inbox: a new thread is unlisted (``listed``), in no
list until the customer answers or an agent writes in it, and its owner (the campaign's,
when replies go to it) is who the customer's reply lands with (``routing.inbound_owner``).
It takes nothing over either: a thread already going keeps its owner, and the send is not
an agent's reply.
"""

from django.db import transaction
from django.utils import timezone

from ..channels import channel_rules
from ..models import (
    Contact,
    Conversation,
    Message,
    MessageDirection,
    SenderId,
    User,
    WhatsAppTemplate,
)
from .contact_activity import contact_touch
from .identities import identity_for
from .reply_window import check_channel_send
from .sending import _outbound_save, check_not_opted_out, dispatch_paced_on_commit, preview_of


def outreach_conversation(
    *, contact: Contact, sender: SenderId, address: str, owner: User | None
) -> Conversation:
    """The thread with ``address`` (one of ``contact``'s numbers) on ``sender``, created
    when new with ``owner`` (None: the sender ID's usual routing decides at the reply)."""
    rules = channel_rules(sender.channel)
    identity, _ = identity_for(
        kind=rules.identity_kind, address=address, finds_kinds=rules.finds_kinds
    )
    conversation, _ = Conversation.objects.select_related("contact", "sender_id").get_or_create(
        sender_id=sender,
        customer_address=address,
        defaults={
            "contact": identity.contact if identity.contact_id else contact,
            "identity": identity,
            "team": sender.team,
            "owner": owner,
            "status": Conversation.Status.ASSIGNED if owner else Conversation.Status.OPEN,
            "listed": False,
        },
    )
    return conversation


def check_outreach(*, conversation: Conversation, template: WhatsAppTemplate | None) -> None:
    """The send checks an outreach meets now: SendRefused with the reason otherwise."""
    check_not_opted_out(conversation=conversation)
    check_channel_send(
        conversation=conversation,
        content_sid=template.content_sid if template else "",
        template=template,
    )


def message_send_outreach(
    *,
    conversation: Conversation,
    author: User,
    body: str,
    idempotency_key: str,
    template: WhatsAppTemplate | None = None,
    content_variables: dict[str, str] | None = None,
) -> Message:
    """Check, save and dispatch (paced, on commit) one outreach message; SendRefused when
    a rule refuses it. Call inside the caller's transaction; an ``idempotency_key`` used
    already raises IntegrityError (that recipient was sent)."""
    check_outreach(conversation=conversation, template=template)
    now = timezone.now()
    with transaction.atomic():
        message = _outbound_save(
            conversation=conversation,
            author=author,
            body=body,
            idempotency_key=idempotency_key,
            content_sid=template.content_sid if template else "",
            content_variables=content_variables,
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            last_outbound_at=now,
            last_activity_at=now,
            changed_at=now,
            last_message_preview=preview_of(body),
            last_message_direction=MessageDirection.OUTBOUND,
        )
        contact_touch(contact_id=conversation.contact_id, at=now)
        dispatch_paced_on_commit(message=message, sender_id=conversation.sender_id_id)
    return message

"""What a simulated customer does: write to a sender ID through the real inbound path."""

from inbox.channels import adapter_for
from inbox.models import Message, SenderId
from inbox.pure.phone import normalise_phone
from inbox.services.inbound import message_receive


def customer_reply(*, sender: SenderId, customer_phone: str, body: str) -> Message:
    """Deliver ``body`` from ``customer_phone`` to ``sender`` as a webhook would."""
    inbound = adapter_for(sender.channel).parse_inbound(
        {
            "channel": sender.channel,
            "from": normalise_phone(customer_phone),
            "to": sender.address,
            "body": body,
        }
    )
    message, _ = message_receive(inbound=inbound)
    return message

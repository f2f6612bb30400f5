"""E-mail's rules, registered with the inbox by the app's ``ready``: addresses, subjects,
attachments checked as uploads are, no reply window, "sent" once SMTP accepts a mail."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse

from inbox.channels import ChannelRules, InvalidAddress
from inbox.models import Channel, IdentityKind, Message
from inbox.pure.media_types import ACCEPTED


class EmailRules(ChannelRules):
    channel = Channel.EMAIL
    short_label = "Mail"
    address_label = "Email"
    identity_kind = IdentityKind.EMAIL
    finds_kinds = (IdentityKind.EMAIL,)
    # The new part of a mail is kept in the thread; the whole mail stays one click away.
    text_limit = 20_000
    media_types = frozenset(ACCEPTED)
    media_max_bytes = 10 * 1024 * 1024
    receipts = frozenset({"sent"})
    subjects = True
    # A new conversation starts with the customer's own mail (the inbox does not write first).
    typed_addresses = False

    def normalise_address(self, address: str, *, region: str = "") -> str:
        """The address in lower case; InvalidAddress when it is not an e-mail address."""
        address = (address or "").strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidAddress(
                f"{address or 'An empty address'} is not an e-mail address."
            ) from None
        return address

    def original_url(self, message: Message) -> str:
        return reverse("channels_email:original", args=[message.public_id])

"""Web chat's rules, registered with the inbox by the app's ``ready``: the customer is a
widget visitor (``v-…``), no segments, no reply window, no templates, images and PDFs
either way; a reply is delivered when the widget has it (by e-mail when the visitor has
left and agreed, ``adapter.py``)."""

from django.conf import settings
from django.utils.timesince import timesince

from inbox.channels import ChannelRules, InvalidAddress
from inbox.models import Channel, IdentityKind

from .models import Visitor
from .presence import is_online, visitor_of


class WebChatRules(ChannelRules):
    channel = Channel.WEBCHAT
    short_label = "WEB"
    address_label = "Visitor"
    identity_kind = IdentityKind.WEBCHAT
    finds_kinds = (IdentityKind.WEBCHAT,)
    typed_addresses = False
    text_limit = 4000
    # What the widget shows: images in the chat, a PDF as a link (either way; a visitor's
    # upload is checked as the compose box's is, ``inbox.pure.media_types.uploads_check``).
    media_types = frozenset({"image/jpeg", "image/png", "image/gif", "application/pdf"})
    receipts = frozenset({"delivered"})

    @property
    def media_max_bytes(self) -> int:
        return settings.OUTBOUND_MEDIA_MAX_BYTES

    def normalise_address(self, address: str, *, region: str = "") -> str:
        address = address.strip()
        if not (address.startswith("v-") and 3 < len(address) <= 40 and address.isascii()):
            raise InvalidAddress("A web-chat visitor is reached from their own chat, not typed.")
        return address

    def customer_facts(self, conversation) -> list[tuple[str, str]]:
        visitor = _visitor(conversation)
        if visitor is None:
            return []
        facts = [
            (
                "Status",
                "Online now"
                if is_online(visitor)
                else f"Last active {timesince(visitor.last_seen_at)} ago",
            )
        ]
        facts += [
            (label, value)
            for label, value in (
                ("Page", visitor.page_url),
                ("Language", visitor.language),
                ("Time zone", visitor.time_zone),
                ("Email", visitor.email),
            )
            if value
        ]
        return facts

    def compose_notice(self, conversation) -> str:
        visitor = _visitor(conversation)
        if visitor is None or is_online(visitor):
            return ""
        if visitor.email and visitor.email_consent:
            return f"The visitor is offline. Email fallback: your reply goes to {visitor.email}."
        return "The visitor is offline. Your reply waits in the chat for their next visit."


def _visitor(conversation) -> Visitor | None:
    """The conversation's visitor, read once for the window that shows both the contact
    panel's facts and the compose box's notice."""
    if "_webchat_visitor" not in conversation.__dict__:
        conversation._webchat_visitor = visitor_of(conversation.customer_address)
    return conversation._webchat_visitor

"""WhatsApp's 24-hour customer-care window (F-CP3), and the WhatsApp send checks.

The window opens with each customer message on a WhatsApp sender ID and lasts 24 hours
from the latest one. Inside it anything may be sent; outside it only a registered
template, and a template only to a customer whose opt-in is recorded (F-CP2). The compose
view, ``message_send`` and ``message_dispatch`` all ask ``check_whatsapp_send``.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from ..models import Channel, Conversation, SenderId
from .refusals import SendRefused
from .whatsapp_consent import check_whatsapp_consent

WINDOW = timedelta(hours=24)
WINDOW_CLOSED = "window_closed"


def window_closes_at(*, conversation: Conversation) -> datetime | None:
    """When the window closes (or closed); None before the customer has ever written."""
    if conversation.last_inbound_at is None:
        return None
    return conversation.last_inbound_at + WINDOW


def window_is_open(*, conversation: Conversation, now: datetime | None = None) -> bool:
    closes_at = window_closes_at(conversation=conversation)
    return closes_at is not None and (now or timezone.now()) < closes_at


def window_closed_reason(*, conversation: Conversation) -> str:
    closes_at = window_closes_at(conversation=conversation)
    if closes_at is None:
        return (
            "The customer has not written on WhatsApp yet, so the 24-hour window is closed. "
            "Send a registered template to open the conversation."
        )
    when = timezone.localtime(closes_at)
    day = "" if when.date() == timezone.localdate() else f"{when.day} {when:%b} "
    return (
        f"The 24-hour window closed at {day}{when:%H:%M}. Send a registered template to reopen it."
    )


def opens_with_template(sender: SenderId) -> bool:
    """Whether a conversation started on ``sender`` opens with a registered template: on
    WhatsApp the window is closed to a customer who has not written. (One who wrote in the
    last 24 hours is answered freely from their own conversation.)"""
    return sender.channel == Channel.WHATSAPP


def check_whatsapp_send(*, conversation: Conversation, template: bool) -> None:
    """Refuse a freeform send outside the window, or a template without consent.

    Does nothing for other channels. Raises SendRefused with the reason.
    """
    if conversation.sender_id.channel != Channel.WHATSAPP:
        return
    if template:
        check_whatsapp_consent(contact=conversation.contact)
    elif not window_is_open(conversation=conversation):
        raise SendRefused(window_closed_reason(conversation=conversation), code=WINDOW_CLOSED)

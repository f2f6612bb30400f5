"""WhatsApp's 24-hour customer-care window (F-CP3), and the WhatsApp send checks.

The window opens with each customer message on a WhatsApp sender ID and lasts 24 hours
from the latest one. Inside it anything may be sent; outside it only a registered
template, and a template only while WhatsApp approves it and only to a customer whose
opt-in is recorded (F-CP2). A freeform message held for business hours must find the
window still open when it goes. The compose view, ``message_send`` and ``message_dispatch``
(so a held or retried message at its release) all ask ``check_whatsapp_send``.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from ..models import Channel, Conversation, SenderId, WhatsAppTemplate
from .business_hours import opening_label
from .refusals import SendRefused
from .whatsapp_consent import check_whatsapp_consent

WINDOW = timedelta(hours=24)
WINDOW_CLOSED = "window_closed"
TEMPLATE_NOT_APPROVED = "template_not_approved"


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


def check_whatsapp_send(
    *,
    conversation: Conversation,
    content_sid: str = "",
    template: WhatsAppTemplate | None = None,
    sends_at: datetime | None = None,
) -> None:
    """Refuse a freeform send while the window is closed at ``sends_at`` (now when None;
    later for a message held for business hours), or a template (``content_sid``) that is
    no longer approved or whose customer has not opted in.

    ``template`` saves the look-up when the caller has it. Does nothing for other channels.
    Raises SendRefused with the reason.
    """
    if conversation.sender_id.channel != Channel.WHATSAPP:
        return
    if content_sid:
        if template is None:
            template = WhatsAppTemplate.objects.filter(content_sid=content_sid).first()
        check_template_approved(template=template)
        check_whatsapp_consent(contact=conversation.contact)
    elif not window_is_open(conversation=conversation):
        raise SendRefused(window_closed_reason(conversation=conversation), code=WINDOW_CLOSED)
    elif sends_at is not None and not window_is_open(conversation=conversation, now=sends_at):
        raise SendRefused(
            held_past_window_reason(conversation=conversation, sends_at=sends_at),
            code=WINDOW_CLOSED,
        )


def held_past_window_reason(*, conversation: Conversation, sends_at: datetime) -> str:
    """Why a freeform message held for business hours until ``sends_at`` is refused now."""
    closes = window_closes_at(conversation=conversation)
    return (
        f"Outside business hours this message would wait until {opening_label(sends_at)}, "
        f"but the 24-hour WhatsApp window closes {opening_label(closes)}, before it could go: "
        "it would never be delivered. Send a registered template instead (Send a template)."
    )


def check_template_approved(*, template: WhatsAppTemplate | None) -> None:
    """Refuse a template WhatsApp no longer lets us send (paused, disabled, rejected, or
    gone from the account), with the reason in plain words."""
    if template is None:
        raise SendRefused(
            "This template is no longer registered with WhatsApp, so it cannot be sent. "
            "Choose another template.",
            code=TEMPLATE_NOT_APPROVED,
        )
    if template.approval != WhatsAppTemplate.Approval.APPROVED:
        raise SendRefused(
            f"The template “{template.name}” is {template.get_approval_display().lower()} "
            "at WhatsApp, not approved, so it cannot be sent. Choose another template.",
            code=TEMPLATE_NOT_APPROVED,
        )

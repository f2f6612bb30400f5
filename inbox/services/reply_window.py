"""What a conversation's channel lets it send now: its reply window and its templates.

The channel says whether it has a window and how long it lasts (WhatsApp: 24 hours after
the customer's latest message, F-CP3; SMS: none), and whether it has registered templates
(``inbox.channels.ChannelRules``). Inside the window anything may be sent; outside it only a
registered template, and a template only while the provider approves it and only to a
customer whose opt-in is recorded (F-CP2). A freeform message held for business hours must
find the window still open when it goes. The compose view, ``message_send`` and
``message_dispatch`` (so a held or retried message at its release) all ask
``check_channel_send``. Opt-out is checked beside it, for every channel (``sending.py``).
"""

from datetime import datetime

from django.utils import timezone

from ..channels import channel_rules
from ..models import Conversation, SenderId, WhatsAppTemplate
from .business_hours import opening_label
from .refusals import SendRefused
from .whatsapp_consent import check_whatsapp_consent

WINDOW_CLOSED = "window_closed"
TEMPLATE_NOT_APPROVED = "template_not_approved"


def window_closes_at(*, conversation: Conversation) -> datetime | None:
    """When the window closes (or closed); None before the customer has ever written, and
    on a channel without a window."""
    window = channel_rules(conversation.sender_id.channel).reply_window
    if window is None or conversation.last_inbound_at is None:
        return None
    return conversation.last_inbound_at + window


def has_window(conversation: Conversation) -> bool:
    return channel_rules(conversation.sender_id.channel).reply_window is not None


def window_is_open(*, conversation: Conversation, now: datetime | None = None) -> bool:
    """Whether a freeform message may go now (always, on a channel without a window)."""
    if not has_window(conversation):
        return True
    closes_at = window_closes_at(conversation=conversation)
    return closes_at is not None and (now or timezone.now()) < closes_at


def window_closed_reason(*, conversation: Conversation) -> str:
    rules = channel_rules(conversation.sender_id.channel)
    return rules.window_closed_reason(closes_at=window_closes_at(conversation=conversation))


def opens_with_template(sender: SenderId) -> bool:
    """Whether a conversation started on ``sender`` opens with a registered template: on a
    channel with a window, it is closed to a customer who has not written. (One who wrote
    within it is answered freely from their own conversation.)"""
    rules = channel_rules(sender.channel)
    return rules.reply_window is not None and rules.templates


def check_channel_send(
    *,
    conversation: Conversation,
    content_sid: str = "",
    template: WhatsAppTemplate | None = None,
    sends_at: datetime | None = None,
) -> None:
    """Refuse a freeform send while the window is closed at ``sends_at`` (now when None;
    later for a message held for business hours), or a template (``content_sid``) that is
    no longer approved or whose customer has not opted in.

    ``template`` saves the look-up when the caller has it. Raises SendRefused with the
    reason.
    """
    rules = channel_rules(conversation.sender_id.channel)
    if rules.reply_window is None and not rules.templates:
        return
    if content_sid:
        if template is None:
            template = WhatsAppTemplate.objects.filter(content_sid=content_sid).first()
        check_template_approved(template=template)
        check_whatsapp_consent(contact=conversation.contact)
    elif rules.reply_window is None:
        return
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
    return channel_rules(conversation.sender_id.channel).held_past_window_reason(
        opens_at=opening_label(sends_at), closes_at=opening_label(closes)
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

"""What the compose box shows of WhatsApp's 24-hour window (F-CP3)."""

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils import timezone

from inbox.forms.whatsapp import ConsentForm
from inbox.models import Conversation
from inbox.selectors import templates
from inbox.services.opt_out import contact_opt_out
from inbox.services.reply_window import (
    has_window,
    window_closed_reason,
    window_closes_at,
    window_is_open,
)
from inbox.services.whatsapp_consent import whatsapp_consent_history

register = template.Library()

CLOSING_SOON_SECONDS = 3600


@dataclass(frozen=True)
class WindowView:
    is_whatsapp: bool
    open: bool = False
    closes_at: datetime | None = None
    left: str = ""
    closing_soon: bool = False
    closed_reason: str = ""

    @property
    def closed(self) -> bool:
        return self.is_whatsapp and not self.open


def time_left(seconds: float) -> str:
    """``3 h 12 min left``; under a minute, ``less than a minute left``."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute left"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min left" if hours else f"{minutes} min left"


@register.simple_tag
def whatsapp_window(conversation: Conversation) -> WindowView:
    if not has_window(conversation):
        return WindowView(is_whatsapp=False)
    now = timezone.now()
    closes_at = window_closes_at(conversation=conversation)
    if not window_is_open(conversation=conversation, now=now):
        return WindowView(
            is_whatsapp=True,
            closes_at=closes_at,
            closed_reason=window_closed_reason(conversation=conversation),
        )
    seconds = (closes_at - now).total_seconds()
    return WindowView(
        is_whatsapp=True,
        open=True,
        closes_at=closes_at,
        left=time_left(seconds),
        closing_soon=seconds <= CLOSING_SOON_SECONDS,
        # What the box says if the window closes while it is on screen.
        closed_reason=window_closed_reason(conversation=conversation),
    )


@register.simple_tag
def approved_templates(query: str = ""):
    return templates.approved_templates(query=query or "")


@register.inclusion_tag("inbox/partials/whatsapp_consent.html", takes_context=True)
def whatsapp_consent(context, conversation: Conversation) -> dict:
    """The contact panel's WhatsApp consent: state, the last changes, record or withdraw.
    No opt-in is offered while the customer is opted out: they must text START first."""
    contact = conversation.contact
    # The contact panel has looked the opt-out up already; a swap of this part alone has not.
    opt_out = context["opt_out"] if "opt_out" in context else contact_opt_out(contact=contact)
    return {
        "conversation": conversation,
        "contact": contact,
        "opt_out": opt_out,
        "history": whatsapp_consent_history(contact=contact),
        "form": ConsentForm(),
        "csrf_token": context.get("csrf_token"),
        "consent_error": context.get("consent_error", ""),
        "is_admin": context["request"].user.is_admin,
    }

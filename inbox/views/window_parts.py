"""What the conversation window's pieces show, read by the views for the templates.

The window is drawn from partials (its header, the working-together tools, the thread, the
WhatsApp window and the compose box, the contact panel and its consent), and most of them are
redrawn on their own by an action. Each is rendered through ``window_render``, which gives the
templates ``parts``: every piece is read the first time a template asks for it and once per
request, so a partial that is not drawn costs nothing, and what two partials show (the
customer's opt-out: the compose box and the panel) is asked once. Template tags only lay
these pieces out; they never query (an import-linter contract keeps them from services and
selectors).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..channels import channel_rules
from ..forms.whatsapp import ConsentForm
from ..markup.thread import thread_html
from ..models import Conversation
from ..pure.snooze_times import snooze_choices
from ..selectors.templates import approved_templates
from ..selectors.window import contact_with_details, label_choices, window_state
from ..services.opt_out import contact_opt_out
from ..services.reply_window import (
    has_window,
    window_closed_reason,
    window_closes_at,
    window_is_open,
)
from ..services.whatsapp_consent import whatsapp_consent_history

CLOSING_SOON_SECONDS = 3600


@dataclass(frozen=True)
class ReplyWindow:
    """What the compose box says of the channel's reply window (WhatsApp's 24 hours)."""

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


def reply_window(conversation: Conversation) -> ReplyWindow:
    if not has_window(conversation):
        return ReplyWindow(is_whatsapp=False)
    now = timezone.now()
    closes_at = window_closes_at(conversation=conversation)
    # What the box says once the window is closed, or if it closes while on screen.
    closed_reason = window_closed_reason(conversation=conversation)
    if not window_is_open(conversation=conversation, now=now):
        return ReplyWindow(is_whatsapp=True, closes_at=closes_at, closed_reason=closed_reason)
    seconds = (closes_at - now).total_seconds()
    return ReplyWindow(
        is_whatsapp=True,
        open=True,
        closes_at=closes_at,
        left=time_left(seconds),
        closing_soon=seconds <= CLOSING_SOON_SECONDS,
        closed_reason=closed_reason,
    )


class WindowParts:
    """The pieces of one conversation's window for one reader, each read when first shown.

    ``context`` is the view's: a piece the view has already read (the thread, the compose
    box's opt-out, the template search) is taken from it."""

    def __init__(self, request: HttpRequest, context: dict):
        self._reader = request.user
        self._context = context
        self.conversation: Conversation = context["conversation"]

    @cached_property
    def header(self) -> dict:
        """Status, waiting state and the actions the reader may take."""
        return window_state(user=self._reader, conversation=self.conversation)

    @cached_property
    def labels(self) -> list:
        """Every label, marked as the conversation and its contact carry it (one query)."""
        return label_choices(conversation=self.conversation)

    @cached_property
    def contact_labels(self) -> list:
        return [label for label in self.labels if label.on_contact]

    @cached_property
    def tools(self) -> dict:
        """The conversation's labels, every label name to pick from, and the snooze choices
        in the reader's time zone."""
        labels = self.labels
        return {
            "labels": [label for label in labels if label.on],
            "label_names": [label.name for label in labels],
            "snooze_choices": snooze_choices(
                now=timezone.now(), tz=timezone.get_current_timezone()
            ),
        }

    @cached_property
    def thread_html(self) -> str:
        return thread_html(self._context["thread"], self.conversation, self._reader)

    @cached_property
    def opt_out(self):
        """The customer's opt-out, if any (the compose box has read it when it offers a reply)."""
        if self._context.get("can_send") and "opt_out" in self._context:
            return self._context["opt_out"]
        return contact_opt_out(contact=self.conversation.contact)

    @cached_property
    def contact(self):
        """The customer's contact with what the panel shows of it (custom fields, latest
        changes; its labels are ``contact_labels``), loaded in two queries."""
        return contact_with_details(self.conversation.contact, labels=False)

    @cached_property
    def customer(self) -> dict:
        """The customer's address as their channel names and writes it, and what the channel
        knows of them now (web chat: online or last active, the page they are on)."""
        rules = channel_rules(self.conversation.sender_id.channel)
        return {
            "label": rules.address_label,
            "address": rules.display_address(self.conversation.customer_address),
            "facts": rules.customer_facts(self.conversation),
        }

    @cached_property
    def channel_notice(self) -> str:
        """How a reply reaches the customer now, when the channel says it differs (web chat:
        by e-mail, or at their next visit)."""
        return channel_rules(self.conversation.sender_id.channel).compose_notice(self.conversation)

    @cached_property
    def reply_window(self) -> ReplyWindow:
        return reply_window(self.conversation)

    @cached_property
    def templates(self):
        """Approved WhatsApp templates matching the picker's search, if any."""
        return approved_templates(query=self._context.get("template_query") or "")

    @cached_property
    def consent(self) -> dict:
        """The contact panel's WhatsApp consent: its last changes and the form to record one."""
        contact = self.conversation.contact
        return {"history": whatsapp_consent_history(contact=contact), "form": ConsentForm()}


def window_render(
    request: HttpRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """Render the conversation window or one of its partials, with its ``parts``."""
    context["parts"] = WindowParts(request, context)
    return render(request, template, context, status=status)

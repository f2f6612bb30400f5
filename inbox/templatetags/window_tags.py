"""Pieces of the conversation window that render themselves from the conversation."""

from django import template

from inbox import selectors
from inbox.forms import ContactForm

register = template.Library()


@register.inclusion_tag("inbox/partials/window_header.html", takes_context=True)
def window_header(context, conversation, oob: bool = False) -> dict:
    """The window's header: who, status, waiting state and the actions the user may take."""
    user = context["request"].user
    return {
        "conversation": conversation,
        "oob": oob,
        "csrf_token": context.get("csrf_token"),
        "window_error": context.get("window_error", ""),
        "messages": context.get("messages"),
        **selectors.window_state(user=user, conversation=conversation),
    }


@register.inclusion_tag("inbox/partials/contact_panel.html", takes_context=True)
def contact_panel(context, conversation) -> dict:
    """The side panel: the contact's details and the form to save or edit them."""
    return {
        "conversation": conversation,
        "contact_form": ContactForm(contact=conversation.contact),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }

"""The conversation window's header and contact panel, laid out from what the view read
(``parts``, see ``inbox.views.window_parts``)."""

from django import template

register = template.Library()


@register.inclusion_tag("inbox/partials/window_header.html", takes_context=True)
def window_header(context, conversation, oob: bool = False) -> dict:
    """The window's header: who, status, waiting state and the actions the user may take."""
    parts = context["parts"]
    return {
        "conversation": conversation,
        "parts": parts,
        "oob": oob,
        "csrf_token": context.get("csrf_token"),
        "window_error": context.get("window_error", ""),
        "messages": context.get("messages"),
        "user": context["request"].user,
        "window_tools": context.get("window_tools", ()),
        **parts.header,
    }


@register.inclusion_tag("inbox/partials/contact_panel.html", takes_context=True)
def contact_panel(context, conversation) -> dict:
    """The side panel: the contact's details, and the form to save or edit them (fetched when
    opened, unless the view has one to show: a saved or refused edit)."""
    parts = context["parts"]
    return {
        "conversation": conversation,
        "contact": parts.contact,
        "parts": parts,
        "contact_form": context.get("contact_form"),
        "opt_out": parts.opt_out,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }

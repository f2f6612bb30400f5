"""The contact panel's WhatsApp consent, laid out from what the view read (``parts``)."""

from django import template

register = template.Library()


@register.inclusion_tag("inbox/partials/whatsapp_consent.html", takes_context=True)
def whatsapp_consent(context, conversation) -> dict:
    """State, the last changes, record or withdraw. No opt-in is offered while the customer
    is opted out: they must text START first."""
    parts = context["parts"]
    return {
        "conversation": conversation,
        "contact": conversation.contact,
        "opt_out": parts.opt_out,
        "history": parts.consent["history"],
        "form": parts.consent["form"],
        "csrf_token": context.get("csrf_token"),
        "consent_error": context.get("consent_error", ""),
        "is_admin": context["request"].user.is_admin,
    }

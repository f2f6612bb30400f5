"""The window's working-together tools: the conversation's labels and its snooze."""

from django import template

register = template.Library()


@register.inclusion_tag("inbox/partials/conversation_tools.html", takes_context=True)
def conversation_tools(context, conversation) -> dict:
    """Labels (with every known label name to pick from) and snooze choices (``parts.tools``)."""
    return {
        "conversation": conversation,
        "csrf_token": context.get("csrf_token"),
        **context["parts"].tools,
    }

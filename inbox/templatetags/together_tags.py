"""The window's working-together tools: the conversation's labels and its snooze."""

from django import template
from django.db.models import Exists, OuterRef
from django.utils import timezone

from inbox.models import Conversation, Label
from inbox.pure.snooze_times import snooze_choices

register = template.Library()


@register.inclusion_tag("inbox/partials/conversation_tools.html", takes_context=True)
def conversation_tools(context, conversation: Conversation) -> dict:
    """Labels (with every known label name to pick from: one query) and snooze choices."""
    labels = list(
        Label.objects.annotate(
            on=Exists(
                Conversation.labels.through.objects.filter(
                    conversation=conversation, label=OuterRef("pk")
                )
            )
        ).order_by("name")
    )
    return {
        "conversation": conversation,
        "csrf_token": context.get("csrf_token"),
        "labels": [label for label in labels if label.on],
        "label_names": [label.name for label in labels],
        "snooze_choices": snooze_choices(now=timezone.now(), tz=timezone.get_current_timezone()),
    }

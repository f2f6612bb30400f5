"""What rules are checked against: one conversation as it is now, read in a fixed number of
queries however many rules there are."""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from inbox.models import ContactFieldValue, Conversation, Message, MessageDirection
from inbox.services.business_hours import is_open, sender_hours


@dataclass
class Facts:
    conversation: Conversation
    message_body: str = ""
    contact_labels: frozenset[str] = frozenset()
    fields: dict[str, str] = field(default_factory=dict)
    at: datetime = field(default_factory=timezone.now)
    _open: bool | None = None

    @property
    def words(self) -> frozenset[str]:
        return frozenset(re.findall(r"\w+", self.message_body.casefold()))

    @property
    def hours_open(self) -> bool:
        """Whether the conversation's sender ID is open now (read once, when first asked)."""
        if self._open is None:
            self._open = is_open(sender_hours(self.conversation.sender_id), self.at)
        return self._open


def facts_for(*, conversation_id: int, message_id: int | None = None) -> Facts | None:
    """The facts of a conversation: four queries (three with no message); None when it is
    gone (merged away or deleted before the worker got to it)."""
    conversation = (
        Conversation.objects.select_related("sender_id", "contact", "owner")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        return None
    body = ""
    if message_id is not None:
        body = (
            Message.objects.filter(pk=message_id, conversation=conversation)
            .values_list("body", flat=True)
            .first()
        ) or ""
    labels = frozenset(
        name.casefold() for name in conversation.contact.labels.values_list("name", flat=True)
    )
    fields = dict(
        ContactFieldValue.objects.filter(contact_id=conversation.contact_id).values_list(
            "field__name", "value"
        )
    )
    return Facts(conversation=conversation, message_body=body, contact_labels=labels, fields=fields)


def latest_customer_message(conversation: Conversation) -> int | None:
    """The id of the conversation's newest customer message (for a dry run)."""
    return (
        Message.objects.filter(conversation=conversation, direction=MessageDirection.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )

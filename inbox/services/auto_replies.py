"""Automatic replies (F-AU2): an out-of-hours reply and a first-contact greeting.

Both answer a customer message the moment it arrives, so they fall inside the WhatsApp
window by construction. They are real messages in the thread, sent through the normal
delivery path with ``author`` None and ``auto_kind`` set, so they never count as an agent's
response, and never go to an opted-out customer. When both are due (a first contact while
closed) they go as one message: each SMS is billed, and the customer needs one answer.
The organisation sets them; a sender ID may use its own or none.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from ..models import AutoKind, AutoReplyMode, Conversation, Organisation, SenderId
from .business_hours import Hours, closed_until, next_opening, opening_label, sender_hours
from .sending import message_send_automatic

OPENS_AT = "{{opens_at}}"
GREETING, OUT_OF_HOURS = AutoKind.GREETING, AutoKind.OUT_OF_HOURS


@dataclass(frozen=True)
class AutoReplies:
    out_of_hours: str = ""
    greeting: str = ""


def auto_replies_of(sender: SenderId) -> AutoReplies:
    """The auto-replies ``sender`` sends: its own, none, or the organisation's."""
    if sender.auto_replies == AutoReplyMode.OFF:
        return AutoReplies()
    source = sender if sender.auto_replies == AutoReplyMode.OWN else Organisation.load()
    return AutoReplies(
        out_of_hours=source.out_of_hours_reply.strip(), greeting=source.greeting.strip()
    )


def auto_replies_send(
    *, conversation: Conversation, contact_is_new: bool, intent: str, written_at: datetime
) -> list[str]:
    """Answer a new customer message automatically when the settings say so; return the
    kinds sent. Call it inside the transaction that stored the message, with the
    conversation row locked.

    A keyword (STOP, START, HELP) gets no auto-reply: it has its own answer, or none. The
    out-of-hours reply goes once per closed period: not again while the hours have not
    opened since the last one. A first contact while closed gets the greeting and the
    out-of-hours reply as one message (of kind ``out_of_hours``): one send, not two.
    """
    if intent or conversation.contact.sms_opted_out_at is not None:
        return []
    replies = auto_replies_of(conversation.sender_id)
    if not replies.greeting and not replies.out_of_hours:
        return []
    greeting = replies.greeting if contact_is_new else ""
    out_of_hours = ""
    if replies.out_of_hours:
        hours = sender_hours(conversation.sender_id)
        opens = closed_until(hours, written_at)
        if opens and not _replied_this_closed_period(conversation, hours, opens):
            out_of_hours = replies.out_of_hours.replace(
                OPENS_AT, opening_label(opens, zone=hours.zone, now=written_at)
            )
    kinds = [kind for kind, text in ((GREETING, greeting), (OUT_OF_HOURS, out_of_hours)) if text]
    if not kinds:
        return []
    # A first contact while closed gets one message, not two billable ones: the greeting
    # (it introduces the organisation), then when it opens.
    body = "\n\n".join(text for text in (greeting, out_of_hours) if text)
    with transaction.atomic():
        message_send_automatic(conversation=conversation, body=body, kind=kinds[-1])
        if out_of_hours:
            Conversation.objects.filter(pk=conversation.pk).update(
                out_of_hours_replied_at=written_at
            )
            conversation.out_of_hours_replied_at = written_at
    return kinds


def _replied_this_closed_period(conversation: Conversation, hours: Hours, opens) -> bool:
    replied = conversation.out_of_hours_replied_at
    return replied is not None and next_opening(hours, replied) == opens

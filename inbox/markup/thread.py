"""The conversation's thread as HTML, built in Python like the list's rows: a thread draws up
to hundreds of messages on every refresh, and the template engine took about 0.17 ms for each."""

from html import escape
from itertools import groupby

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from ..channels import channel_rules
from ..models import AutoKind, ConversationEvent, Message, MessageStatus
from ..pure.provider_errors import NEEDS_TEMPLATE
from ..selectors.window import Thread
from ..services.business_hours import opening_label
from ..services.held_messages import can_change_held
from ..services.notes import mention_pieces
from . import fill, linkify, url_stem

# Every {field} is escaped text except those named *_html, which are built from escaped parts.
DAY = '<div class="day-separator"><span>{day}</span></div>'
MESSAGE = (
    '<div class="message message-{direction}" id="m-{id}" data-status="{status}">'
    '<div class="bubble">{template_html}{subject_html}{body_html}{attachments_html}'
    "{original_html}</div>"
    '<div class="meta">{author_html}<time datetime="{iso}" title="{when}">{hm}</time>'
    "{ticks_html}</div>{held_html}</div>"
)
HELD = '<p class="held-until">{until}{change_html}</p>'
HELD_CHANGE = ' · <a href="{url}">Edit or cancel</a>'
AUTOMATIC = '<span class="author automatic" title="{why}">Automatic · {why}</span> · '
BOT_AUTHOR = (
    '<span class="author automatic bot-author" title="Sent by the bot">'
    '<span class="bot-avatar" role="img" aria-label="Robot">🤖</span> Bot</span> · '
)

IMAGE = (
    '<a class="attachment" href="{url}"><img class="attachment-image" src="{url}" alt="{alt}"'
    ' loading="lazy"></a>'
)
SUBJECT = '<p class="subject"><span class="sr-only">Subject: </span>{subject}</p>'
ORIGINAL = '<p class="original"><a href="{url}" target="_blank" rel="noopener">Full e-mail</a></p>'
TEMPLATE_MARK = '<span class="template-mark" title="Registered WhatsApp template">Template</span>'
SEND_TEMPLATE = '<a class="failure-action" href="{url}">Send a template</a>'
FILE = '<p class="attachment">📎 <a href="{url}">{name}</a></p>'
FETCHING = '<p class="attachment">📎 {content_type} (fetching…)</p>'
NOTE = (
    '<div class="event event-note" id="e-{id}"><div class="note"><strong>Private note · '
    "{actor}</strong><p>{body_html}</p></div></div>"
)
MENTION_MARK = '<mark class="mention">{name}</mark>'
EVENT = (
    '<div class="event event-{kind}" id="e-{id}"><span>{text} · '
    '<time datetime="{iso}">{hm}</time></span></div>'
)
# What an outgoing message's status shows: (class, label, mark).
TICKS = {
    MessageStatus.SCHEDULED: ("held", "Held", "🕓"),
    MessageStatus.QUEUED: ("queued", "Queued", "🕓"),
    MessageStatus.SENT: ("sent", "Sent", "✓"),
    MessageStatus.DELIVERED: ("delivered", "Delivered", "✓✓"),
    MessageStatus.READ: ("read", "Read", "✓✓"),
}
FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)


def thread_html(thread: Thread, conversation, reader=None) -> str:
    """The thread's messages and events, oldest first, under a line for each day.

    A message held for business hours says when it will go, and offers ``reader`` to edit
    or cancel it when they may."""
    attachment_url = url_stem("inbox:attachment", conversation.public_id)
    templates_url = reverse("inbox:templates", args=[conversation.public_id])
    held_url = url_stem("inbox:held_message", conversation.public_id)
    parts = []
    for day, items in groupby(thread.items, key=lambda item: _local(item).date()):
        parts.append(fill(DAY, day=f"{day:%A} {day.day} {day:%B %Y}"))
        for item in items:
            if isinstance(item, Message):
                parts.append(_message(item, attachment_url, templates_url, held_url, reader))
            else:
                parts.append(_event(item))
    return mark_safe("".join(parts))


def _local(item: Message | ConversationEvent):
    return timezone.localtime(item.created_at)


def _held_until(message: Message) -> str:
    return f"Will be sent {opening_label(message.scheduled_for)} (outside business hours)"


def _held(message: Message, held_url: str, reader) -> str:
    if message.status != MessageStatus.SCHEDULED or message.scheduled_for is None:
        return ""
    change = ""
    if reader is not None and can_change_held(reader, message):
        change = fill(HELD_CHANGE, url=f"{held_url}{message.public_id}/")
    return fill(HELD, {"change_html": change}, until=_held_until(message))


def _author(message: Message) -> str:
    if not message.is_outbound:
        return ""
    if message.auto_kind == AutoKind.BOT:
        return BOT_AUTHOR
    if message.auto_kind:
        return fill(AUTOMATIC, why=message.get_auto_kind_display())
    return f'<span class="author">{escape(str(message.author))}</span> · ' if message.author else ""


def _message(
    message: Message, attachment_url: str, templates_url: str, held_url: str, reader
) -> str:
    at = _local(message)
    return fill(
        MESSAGE,
        {
            "template_html": TEMPLATE_MARK if message.content_sid else "",
            "subject_html": fill(SUBJECT, subject=message.subject) if message.subject else "",
            "original_html": _original(message),
            "body_html": f"<p>{linkify(message.body)}</p>" if message.body else "",
            # Asked only of a message that has any: even an empty queryset costs a
            # compilation (0.4 ms, more than the rest of the message).
            "attachments_html": "".join(
                _attachment(a, attachment_url) for a in message.attachments.all()
            )
            if message.has_attachments
            else "",
            "author_html": _author(message),
            "ticks_html": _ticks(message, templates_url) if message.is_outbound else "",
            "held_html": _held(message, held_url, reader),
        },
        direction=message.direction,
        id=message.public_id,
        status=message.status,
        iso=at.isoformat(),
        when=f"{at:%a} {at.day} {at:%b %Y, %H:%M:%S}",
        hm=f"{at:%H:%M}",
    )


def _original(message: Message) -> str:
    url = "" if message.is_outbound else channel_rules(message.channel).original_url(message)
    return fill(ORIGINAL, url=url) if url else ""


def _attachment(attachment, attachment_url: str) -> str:
    url = f"{attachment_url}{attachment.public_id}/"
    if not attachment.file:
        return fill(FETCHING, content_type=attachment.content_type)
    if attachment.content_type.startswith("image/"):
        return fill(IMAGE, url=url, alt=attachment.original_name or "Image from the customer")
    return fill(FILE, url=url, name=attachment.original_name or "attachment")


def _ticks(message: Message, templates_url: str) -> str:
    if message.status in FAILED:
        reason = escape(message.error_reason)
        code = f" (error {escape(message.error_code)})" if message.error_code else ""
        action = (
            fill(SEND_TEMPLATE, url=templates_url) if message.error_code in NEEDS_TEMPLATE else ""
        )
        return (
            f'<span class="tick tick-failed" title="{reason}{code}" aria-label="Failed: '
            f'{reason}">⚠</span><span class="failure-reason">{reason}{action}</span>'
        )
    if message.status not in TICKS:
        return ""
    css, label, mark = TICKS[message.status]
    if message.status == MessageStatus.SCHEDULED and message.scheduled_for:
        label = _held_until(message)
    return f'<span class="tick tick-{css}" title="{label}" aria-label="{label}">{mark}</span>'


def _with_mentions(note: ConversationEvent):
    """Escapes a note's text, each teammate it mentioned marked."""
    usernames = set((note.data or {}).get("mentions", ()))
    if not usernames:
        return escape

    def html(text: str) -> str:
        return "".join(
            fill(MENTION_MARK, name=piece) if is_mention else escape(piece)
            for piece, is_mention in mention_pieces(text, usernames)
        )

    return html


def _event(event: ConversationEvent) -> str:
    if event.kind == ConversationEvent.Kind.NOTE:
        return fill(
            NOTE,
            {"body_html": linkify(event.body, plain=_with_mentions(event))},
            id=event.pk,
            actor=event.actor or ("🤖 Bot" if event.data.get("bot") else ""),
        )
    at = _local(event)
    text = event.get_kind_display()
    if event.body:
        text += f": {event.body}"
    if event.actor:
        text += f" · {event.actor}"
    return fill(
        EVENT, kind=event.kind, id=event.pk, text=text, iso=at.isoformat(), hm=f"{at:%H:%M}"
    )

"""What a widget visitor does: start, write, read their own conversation, say who they are.

A visitor is known only by the token the widget keeps in its own storage (the frame's,
partitioned per website by the browser); the database holds its SHA-256. Every function
here takes the visitor the token found, so no visitor reaches another one's conversation.
Messages go into the inbox through ``message_receive`` like any channel's: routing,
auto-assignment, auto-replies, unread marks and reports are the inbox's.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone

from inbox.channels import InboundFile, InboundMessage
from inbox.live_events import signal
from inbox.models import (
    Attachment,
    Channel,
    Contact,
    Conversation,
    Message,
    MessageDirection,
    MessageStatus,
)
from inbox.services.business_hours import is_open, sender_hours
from inbox.services.inbound import message_receive

from .models import Visitor, Website
from .presence import visitor_typing

# The messages the widget shows: the newest ones (older ones are in the agent's transcript).
SHOWN = 50
# A visitor's page, language and time zone are written at most this often while unchanged.
SEEN_WRITE_EVERY = timedelta(seconds=10)
# What reached the visitor: agent replies and automatic messages once the channel has them.
VISIBLE = Q(direction=MessageDirection.INBOUND) | Q(
    direction=MessageDirection.OUTBOUND,
    status__in=[MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ],
)


def visitor_topic(visitor_id: int) -> str:
    """What the visitor's live stream follows besides their conversation (``stream.py``):
    the conversation their first message opened, their other tabs' read marks."""
    return f"webchat-visitor:{visitor_id}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def visitor_start(*, website: Website) -> tuple[Visitor, str]:
    """A new visitor of ``website`` and the token that alone proves to be them."""
    token = secrets.token_urlsafe(32)
    visitor = Visitor.objects.create(
        website=website, address=f"v-{secrets.token_hex(8)}", token_hash=_hash(token)
    )
    return visitor, token


def visitor_for_token(*, website: Website, token: str) -> Visitor | None:
    """The visitor of ``website`` holding ``token``; None for any other token."""
    if not token or len(token) > 100:
        return None
    visitor = Visitor.objects.filter(website=website, token_hash=_hash(token)).first()
    if visitor is not None:
        visitor.website = website  # found already (with its sender ID): not asked again
    return visitor


def visitor_seen(
    *, visitor: Visitor, page_url: str = "", language: str = "", time_zone: str = ""
) -> None:
    """The widget asked for news: the visitor is online. Written when something changed
    or ``SEEN_WRITE_EVERY`` passed, not on every ask."""
    now = timezone.now()
    reported = {
        "page_url": page_url[:500],
        "language": language[:35],
        "time_zone": time_zone[:64],
    }
    changed = {
        name: value for name, value in reported.items() if value and value != getattr(visitor, name)
    }
    if not changed and now - visitor.last_seen_at < SEEN_WRITE_EVERY:
        return
    for name, value in changed.items():
        setattr(visitor, name, value)
    visitor.last_seen_at = now
    visitor.save(update_fields=["last_seen_at", *changed])


def _anonymous_name(visitor: Visitor) -> str:
    return f"Website visitor {visitor.address[-4:]}"


def _display_name(visitor: Visitor) -> str:
    return visitor.name or _anonymous_name(visitor)


def visitor_write(
    *, visitor: Visitor, body: str, key: str, upload: UploadedFile | None = None
) -> Message:
    """Store what the visitor wrote (or the file they attached, checked already) as a
    customer message of the website's conversation with them; ``key`` (the widget's, per
    message) makes a resent message count once."""
    website = visitor.website
    files = []
    if upload is not None:
        upload.seek(0)
        files = [
            InboundFile(name=upload.name, content_type=upload.content_type, content=upload.read())
        ]
    message, _ = message_receive(
        inbound=InboundMessage(
            channel=Channel.WEBCHAT,
            provider_sid=f"wc-{visitor.address}-{key}",
            from_address=visitor.address,
            to_address=website.sender.address,
            body=body,
            profile_name=_display_name(visitor),
            files=files,
        )
    )
    visitor_seen(visitor=visitor)
    # Sent: no longer typing (else the agents would read "typing" beside the message).
    visitor_typing(visitor=visitor, conversation=message.conversation, typing=False)
    # The visitor's streams follow the conversation from now on (their first message
    # opened it), and their other tabs show the message.
    signal(kind="chat", conversation=message.conversation, to=visitor_topic(visitor.pk))
    return message


def conversation_of(visitor: Visitor) -> Conversation | None:
    return Conversation.objects.filter(
        sender_id=visitor.website.sender_id, customer_address=visitor.address
    ).first()


@dataclass(frozen=True)
class WidgetFile:
    """An attachment as the widget has it: fetched with the visitor's token, by ``id``."""

    id: str
    name: str
    type: str
    image: bool


@dataclass(frozen=True)
class WidgetMessage:
    id: int
    conversation_id: int
    mine: bool
    body: str
    at: str
    author: str
    files: list[WidgetFile]


def visitor_messages(*, visitor: Visitor) -> list[WidgetMessage]:
    """The newest messages of the visitor's conversation that reached them, oldest first.
    Private notes are events, never messages: they cannot be among them."""
    rows = (
        Message.objects.filter(
            VISIBLE,
            conversation__sender_id=visitor.website.sender_id,
            conversation__customer_address=visitor.address,
        )
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    return [
        WidgetMessage(
            id=m.pk,
            conversation_id=m.conversation_id,
            mine=m.direction == MessageDirection.INBOUND,
            body=m.body,
            at=m.created_at.isoformat(),
            # The agent's first name only: their username is a login, not for the public.
            author=m.author.first_name
            if m.direction == MessageDirection.OUTBOUND and m.author
            else "",
            files=[_widget_file(a) for a in m.attachments.all() if a.file],
        )
        for m in reversed(rows)
    ]


def _widget_file(attachment: Attachment) -> WidgetFile:
    return WidgetFile(
        id=attachment.public_id,
        name=attachment.original_name or "attachment",
        type=attachment.content_type,
        image=attachment.content_type.startswith("image/"),
    )


def visitor_attachment(*, visitor: Visitor, public_id: str) -> Attachment | None:
    """An attachment of a message the visitor's widget shows (theirs, or a reply that
    reached them); None for any other."""
    return (
        Attachment.objects.filter(
            public_id=public_id,
            message__in=Message.objects.filter(
                VISIBLE,
                conversation__sender_id=visitor.website.sender_id,
                conversation__customer_address=visitor.address,
            ),
        )
        .exclude(file="")
        .first()
    )


def unread_count(*, visitor: Visitor, messages: list[WidgetMessage]) -> int:
    return sum(1 for m in messages if not m.mine and m.id > visitor.read_upto)


def visitor_read(*, visitor: Visitor, upto: int) -> None:
    """The visitor saw the agent's messages up to ``upto`` (never moves back); their other
    tabs' badges go out with it."""
    if Visitor.objects.filter(pk=visitor.pk, read_upto__lt=upto).update(read_upto=upto):
        signal(kind="read", to=visitor_topic(visitor.pk))


def visitor_profile_save(*, visitor: Visitor, name: str, email: str, consent: bool) -> None:
    """The pre-chat form's or the away panel's answers; the contact takes the name when it
    has none of its own yet."""
    visitor.name = name or visitor.name
    visitor.email = email or visitor.email
    visitor.email_consent = bool(consent and visitor.email)
    visitor.save(update_fields=["name", "email", "email_consent"])
    conversation = conversation_of(visitor)
    if conversation is not None and name:
        Contact.objects.filter(
            pk=conversation.contact_id, display_name=_anonymous_name(visitor)
        ).update(display_name=name[:200])


def is_away(website: Website) -> bool:
    """Whether the website's sender ID is outside its business hours now."""
    return not is_open(sender_hours(website.sender), timezone.now())

"""The inbox domain: people, senders, contacts, conversations and their messages."""

from .contacts import ConsentRecord, Contact, ContactFieldValue, CustomField, Label
from .conversations import (
    Conversation,
    ConversationEvent,
    Participation,
    ReadState,
)
from .exports import TranscriptExport
from .hours import AutoReplyMode, Holiday, HoursMode
from .messages import Attachment, AutoKind, EarlyStatus, Message, MessageDirection, MessageStatus
from .notifications import Notification
from .people import Organisation, Role, Team, TeamMode, User
from .senders import Channel, SenderId

__all__ = [
    "Attachment",
    "AutoKind",
    "AutoReplyMode",
    "Channel",
    "ConsentRecord",
    "Contact",
    "ContactFieldValue",
    "Conversation",
    "ConversationEvent",
    "CustomField",
    "EarlyStatus",
    "Holiday",
    "HoursMode",
    "Label",
    "Message",
    "MessageDirection",
    "MessageStatus",
    "Notification",
    "Organisation",
    "Participation",
    "ReadState",
    "Role",
    "SenderId",
    "Team",
    "TeamMode",
    "TranscriptExport",
    "User",
]

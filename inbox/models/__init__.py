"""The inbox domain: people, senders, contacts, conversations and their messages."""

from .contacts import (
    ConsentRecord,
    Contact,
    ContactChange,
    ContactFieldValue,
    ContactIdentity,
    ContactImport,
    CustomField,
    IdentityKind,
    ImportedContact,
    Label,
    contact_at_q,
)
from .conversations import (
    Conversation,
    ConversationEvent,
    Participation,
    ReadState,
)
from .exports import ContactExport, TranscriptExport
from .hours import AutoReplyMode, Holiday, HoursMode
from .live import LiveEvent
from .messages import (
    Attachment,
    AutoKind,
    EarlyStatus,
    Message,
    MessageDayTally,
    MessageDirection,
    MessageStatus,
    MessageTally,
)
from .notifications import Notification
from .operations import WorkerHeartbeat
from .people import Organisation, Role, Team, TeamMode, User
from .replies import SavedReply
from .senders import Channel, SenderId
from .templates import WhatsAppTemplate

__all__ = [
    "Attachment",
    "AutoKind",
    "AutoReplyMode",
    "Channel",
    "ConsentRecord",
    "Contact",
    "ContactChange",
    "ContactExport",
    "ContactFieldValue",
    "ContactIdentity",
    "ContactImport",
    "Conversation",
    "ConversationEvent",
    "CustomField",
    "EarlyStatus",
    "Holiday",
    "HoursMode",
    "IdentityKind",
    "ImportedContact",
    "Label",
    "LiveEvent",
    "Message",
    "MessageDayTally",
    "MessageDirection",
    "MessageStatus",
    "MessageTally",
    "Notification",
    "Organisation",
    "Participation",
    "ReadState",
    "Role",
    "SavedReply",
    "SenderId",
    "Team",
    "TeamMode",
    "TranscriptExport",
    "User",
    "WhatsAppTemplate",
    "WorkerHeartbeat",
    "contact_at_q",
]

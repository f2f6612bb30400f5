from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .conversations import Conversation
from .ids import new_public_id
from .indexes import PostgresGinIndex
from .people import User
from .senders import SenderId


class MessageDirection(models.TextChoices):
    INBOUND = "in", "Incoming"
    OUTBOUND = "out", "Outgoing"


class MessageStatus(models.TextChoices):
    """Outbound statuses, in forward order; see ``inbox.services.status`` for the rules."""

    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"
    UNDELIVERED = "undelivered", "Undelivered"
    RECEIVED = "received", "Received"


class AutoKind(models.TextChoices):
    """Why a message nobody typed was sent; blank for everything else."""

    HELP = "help", "Answer to HELP"
    OUT_OF_HOURS = "out_of_hours", "Out-of-hours reply"
    GREETING = "greeting", "Greeting"
    BOT = "bot", "Bot"


class Message(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=MessageDirection.choices)
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    # Denormalised from the sender ID so (channel, provider_sid) can be unique in one table.
    channel = models.CharField(max_length=16)
    provider_sid = models.CharField(max_length=64, null=True, blank=True)
    # Set by the compose form: a double click or a resubmitted form sends once.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # A provider's code ("63016"), or one of our own rules' ("template_not_approved").
    error_code = models.CharField(max_length=32, blank=True)
    error_reason = models.CharField(max_length=300, blank=True)
    segments = models.PositiveSmallIntegerField(default=1)
    # An e-mail's subject (empty on channels without one).
    subject = models.CharField(max_length=300, blank=True, default="", db_default="")
    # A registered WhatsApp template: sent as its content SID and variables; ``body`` holds
    # the text the customer sees.
    content_sid = models.CharField(max_length=40, blank=True, default="", db_default="")
    content_variables = models.JSONField(null=True, blank=True)
    # Sent automatically (author None): never an agent's response.
    # The database default keeps bulk loads that name no column for it (the bench) working.
    auto_kind = models.CharField(
        max_length=16, choices=AutoKind.choices, blank=True, default="", db_default=""
    )
    # A customer message's time is when the provider posted it, not when a worker stored it.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Outbound dispatch bookkeeping: when a worker claimed the send, how many tries so far.
    dispatch_started_at = models.DateTimeField(null=True, blank=True)
    # When the first attempt started: a look-up for an earlier attempt's message starts here.
    first_dispatch_at = models.DateTimeField(null=True, blank=True)
    # When the stuck-message sweep last queued it again: not again before the same wait.
    requeued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not to be sent before: the send slot it was paced to, or when its retry is due.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_sid"],
                name="unique_provider_sid_per_channel",
                condition=Q(provider_sid__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_thread_idx"),
            # Search in message text (F-IN9), PostgreSQL only: the same expression as
            # ``inbox.selectors.search.message_text_vector``.
            PostgresGinIndex(SearchVector("body", config="simple"), name="message_body_fts_idx"),
            # Release of messages held for business hours, oldest opening first.
            models.Index(
                fields=["scheduled_for"],
                name="message_held_idx",
                condition=Q(status="scheduled"),
            ),
            # Reports: messages written in a period, read index-only.
            models.Index(
                fields=["created_at"],
                include=["direction", "author", "conversation"],
                name="message_period_idx",
            ),
            # Recovery of sends a dead worker left behind.
            models.Index(
                fields=["status", "created_at"],
                name="message_unsent_idx",
                condition=Q(status="queued", provider_sid__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.public_id}"

    @property
    def is_outbound(self) -> bool:
        return self.direction == MessageDirection.OUTBOUND


class EarlyStatus(models.Model):
    """A provider status callback that came before we stored the message's SID.

    Twilio may report a status while the worker that sent the message is still recording
    its SID. The callback is kept here and applied, in arrival order, once the SID is
    stored (``inbox.services.status``); callbacks for SIDs that never turn up are swept.
    """

    channel = models.CharField(max_length=16)
    provider_sid = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    error_code = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["channel", "provider_sid"], name="early_status_sid_idx")]

    def __str__(self) -> str:
        return f"{self.status} for {self.provider_sid}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.message.public_id}/{filename}"


class Attachment(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    original_name = models.CharField(max_length=255, blank=True)
    # For inbound media not fetched yet: where the provider keeps it.
    source_url = models.URLField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.original_name or self.public_id


class MessageTally(models.Model):
    """Customer and agent messages per quarter hour (UTC) and channel: the report's message
    counts and heatmap without reading the messages (``inbox.reports.tally`` keeps it).

    A quarter hour starts on a whole-quarter UTC time, so every real time zone's midnight
    and hours (India's +5:30 and Nepal's +5:45 too) fall on bucket edges.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer message"
        AGENT = "agent", "Agent message"

    bucket = models.DateTimeField()
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "channel", "kind"], name="message_tally_bucket_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.messages} {self.kind} on {self.channel} at {self.bucket:%Y-%m-%d %H:%M}"


class MessageDayTally(models.Model):
    """Customer and agent messages per UTC day, by the conversation's sender ID and owner:
    the report's per-agent and per-sender counts (``inbox.reports.tally`` keeps it).

    ``owner`` is the conversation's ``tallied_owner``; a reassigned conversation's counts
    move to its new owner when ``tally_owners_settle`` runs, and until then the report adds
    the move itself.
    """

    day = models.DateField()
    sender = models.ForeignKey(SenderId, on_delete=models.CASCADE, related_name="+")
    owner = models.IntegerField()  # a user id, 0 for none
    kind = models.CharField(max_length=8, choices=MessageTally.Kind.choices)
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "sender", "owner", "kind"], name="message_day_tally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.messages} {self.kind} on {self.day} for sender {self.sender_id}"

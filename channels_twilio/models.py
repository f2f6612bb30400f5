"""Twilio's inbound webhooks as they arrived, kept until a worker has turned them into messages."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class InboundWebhook(models.Model):
    """A signed "a message comes in" webhook, stored in one insert before anything else.

    The webhook view answers Twilio as soon as this row is committed; ``ingest_inbound``
    then routes it into a conversation (``inbox.services.inbound.message_receive``). Unique
    per (channel, MessageSid): a redelivered webhook adds no row and no work.
    """

    class Outcome(models.TextChoices):
        STORED = "stored", "Stored as a message"
        DUPLICATE = "duplicate", "Message already stored"
        UNKNOWN_SENDER = "unknown_sender", "Addressed to a number that is not ours"

    channel = models.CharField(max_length=16)
    message_sid = models.CharField(max_length=64)
    # The form-encoded body exactly as Twilio signed it.
    payload = models.TextField()
    # When Twilio posted it: the message's time, however long the worker took.
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Workers that took it, counted before routing (so a payload that kills its worker
    # counts too); drains leave it to a person after ``MAX_ATTEMPTS``.
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a worker last took it: no other drain takes it for ``INBOUND_CLAIM_LEASE_SECONDS``.
    claimed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "message_sid"], name="one_inbound_webhook_per_sid"
            )
        ]
        indexes = [
            # The sweep's look for payloads no worker has finished.
            models.Index(
                fields=["received_at"],
                name="inbound_webhook_pending_idx",
                condition=Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.message_sid}"

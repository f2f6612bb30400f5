from decimal import Decimal

from django.db import models

from .hours import AutoReplyMode, HoursMode
from .ids import new_public_id
from .people import TIME_ZONE_CHOICES, Team, User


class Channel(models.TextChoices):
    SMS = "sms", "SMS/MMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "E-mail"
    WEBCHAT = "webchat", "Web chat"


class SenderId(models.Model):
    """A phone number, WhatsApp sender or mailbox the business sends from, with its own inbox."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.SMS)
    # E.164 for SMS (``+14155550100``), ``whatsapp:+E164`` for WhatsApp, the mailbox's
    # address for e-mail (``support@example.com``).
    address = models.CharField(max_length=254, unique=True)
    label = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_sender_ids"
    )
    shared_with = models.ManyToManyField(User, blank=True, related_name="shared_sender_ids")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="sender_ids"
    )
    # Outbound pacing: about one segment per second on a US long code.
    rate_per_second = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    # The earliest time the next send may start; moved forward atomically by each send.
    next_send_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    # Business hours override (F-CP4): the organisation's, 24/7, or its own week and zone.
    hours = models.CharField(
        max_length=16, choices=HoursMode.choices, default=HoursMode.ORGANISATION
    )
    hours_time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    opening_hours = models.JSONField(default=dict, blank=True)
    # Automatic replies override (F-AU2).
    auto_replies = models.CharField(
        max_length=16, choices=AutoReplyMode.choices, default=AutoReplyMode.ORGANISATION
    )
    out_of_hours_reply = models.TextField(blank=True)
    greeting = models.TextField(blank=True)
    # A bot answers new conversations first (F-AU5): set by the automation app while a bot
    # flow is on for this line, so that the inbox knows it at once, without asking it.
    bot_answers = models.BooleanField(default=False, db_default=False)

    class Meta:
        verbose_name = "sender ID"
        ordering = ["label", "address"]

    def __str__(self) -> str:
        return f"{self.label} ({self.address})" if self.label else self.address

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

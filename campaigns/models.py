"""Campaigns (issue 27): one message to many contacts, each recipient planned once."""

from datetime import time
from decimal import Decimal

from django.db import models
from django.db.models import Q

from inbox.models import (
    Channel,
    Contact,
    ContactImport,
    Conversation,
    Label,
    Message,
    SenderId,
    User,
    WhatsAppTemplate,
)
from inbox.models.ids import new_public_id


class CampaignSettings(models.Model):
    """The organisation's campaign rules: one row (``load``)."""

    # Standard users may create and run campaigns too (admins always may).
    agents_may_create = models.BooleanField(default=False)
    # Quiet hours in the recipient's own local time: campaign sends go only between these
    # (the US federal rule by default). Stricter rules per US state: QuietHoursRule.
    quiet_start = models.TimeField(default=time(8, 0))
    quiet_end = models.TimeField(default=time(21, 0))
    # Estimated cost: segments x recipients x this.
    price_per_segment = models.DecimalField(
        max_digits=8, decimal_places=4, default=Decimal("0.0079")
    )
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        verbose_name = "campaign settings"
        verbose_name_plural = "campaign settings"

    def __str__(self) -> str:
        return "Campaign settings"

    def save(self, *args, **kwargs) -> None:
        """Saved, the navigation's copy of ``agents_may_create`` follows (context_processors)."""
        from django.core.cache import caches

        from .context_processors import AGENTS_KEY

        super().save(*args, **kwargs)
        caches["shared"].set(AGENTS_KEY, self.agents_may_create, timeout=None)

    @classmethod
    def load(cls) -> "CampaignSettings":
        settings, _ = cls.objects.get_or_create(pk=1)
        return settings


class QuietHoursRule(models.Model):
    """A stricter sending window for numbers of one region (a US state, as the number's
    area code places it: "Florida"), editable data in the admin."""

    region = models.CharField(max_length=100, unique=True)
    # The state's two-letter code: phonenumbers names some numbers "Miami, FL".
    code = models.CharField(max_length=2, blank=True)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["region"]

    def __str__(self) -> str:
        return f"{self.region}: {self.start:%H:%M}–{self.end:%H:%M}"


# The channels a campaign can send on: phone numbers, texted or on WhatsApp.
CHANNELS = [(Channel.SMS, Channel.SMS.label), (Channel.WHATSAPP, Channel.WHATSAPP.label)]


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    class Consent(models.TextChoices):
        ANY = "", "Any"
        OPTED_IN = "opted_in", "WhatsApp opt-in recorded"
        NOT_OPTED_OUT = "not_opted_out", "Not opted out"

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="campaigns")
    channel = models.CharField(max_length=16, choices=CHANNELS, default=Channel.SMS)
    senders = models.ManyToManyField(SenderId, related_name="campaigns")
    # Audience: contacts with any of these labels (none: every contact), the consent state,
    # and written to or from within the last so many days (blank: whenever).
    labels = models.ManyToManyField(Label, blank=True, related_name="campaigns")
    consent = models.CharField(max_length=16, choices=Consent.choices, blank=True, default="")
    last_contact_days = models.PositiveIntegerField(null=True, blank=True)
    # And every one of these custom-field conditions ({"field": "city", "op": "equals",
    # "value": "Paris"}; ops in ``audience.OPERATORS``).
    conditions = models.JSONField(default=list, blank=True)
    # And among the contacts of an uploaded list (a contacts import; blank: any contact).
    # Protected: a list gone would widen the audience to everyone.
    contact_list = models.ForeignKey(
        ContactImport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The message: SMS text with {{field}} placeholders, or a WhatsApp template whose
    # variables map to a field ({"1": {"field": "name"}}) or a fixed value ({"value": "x"}).
    body = models.TextField(blank=True)
    template = models.ForeignKey(
        WhatsAppTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    variables = models.JSONField(default=dict, blank=True)
    # When it starts (blank: when launched).
    starts_at = models.DateTimeField(null=True, blank=True)
    # Replies go to the owner; otherwise by the sender ID's usual routing.
    replies_to_owner = models.BooleanField(default=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The page's figures, counted by the worker (``figures.campaign_figures_refresh``) and
    # read from this row: the page costs the same for ten recipients or a million. Counted
    # again when what they count changes; ``figures_at`` None asks for that at the next sweep.
    figures = models.JSONField(null=True, blank=True)
    figures_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state"], name="campaign_state_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.state in (self.State.DRAFT, self.State.SCHEDULED) and self.planned_at is None


class Exclusion(models.TextChoices):
    """Why a recipient is not sent the campaign, decided once when it is planned."""

    OPTED_OUT = "opted_out", "Opted out"
    NO_WHATSAPP_OPT_IN = "no_opt_in", "No WhatsApp opt-in"
    INVALID_NUMBER = "invalid_number", "Invalid or unreachable number"
    MISSING_VALUE = "missing_value", "A placeholder has no value"
    DUPLICATE = "duplicate", "Already in this campaign"
    US_MARKETING = "us_marketing", "WhatsApp marketing template to a +1 number"


class Recipient(models.Model):
    """One contact of one campaign: planned (sent once released) or excluded with a reason."""

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        EXCLUDED = "excluded", "Excluded"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # Unique by a constraint (its index only: no second index for LIKE, never asked), and
    # the campaign is the first column of the unique constraints (no index of its own):
    # planning writes each index entry 100,000 times.
    public_id = models.CharField(max_length=16, default=new_public_id, editable=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="recipients", db_index=False
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    # The number it goes to, as the channel stores it (blank when there is none).
    address = models.CharField(max_length=64, blank=True)
    sender = models.ForeignKey(
        SenderId, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PLANNED)
    exclusion = models.CharField(max_length=20, choices=Exclusion.choices, blank=True)
    # Quiet hours or business hours: not released before this.
    held_until = models.DateTimeField(null=True, blank=True)
    held_reason = models.CharField(max_length=200, blank=True)
    # Why a planned send was refused at release (the send checks' own words).
    failure = models.CharField(max_length=300, blank=True)
    conversation = models.ForeignKey(
        Conversation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # recipient_conversation_idx: only the rows released to one
    )
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaign_recipient"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="recipient_public_id_once"),
            # Exactly once: a contact is in a campaign once, and only a planned row is sent.
            models.UniqueConstraint(fields=["campaign", "contact"], name="campaign_recipient_once"),
            models.UniqueConstraint(
                fields=["campaign", "address"],
                condition=~Q(state="excluded"),
                name="campaign_address_once",
            ),
        ]
        indexes = [
            # The release sweep: a campaign's planned recipients due, per sender ID.
            models.Index(
                fields=["campaign", "sender", "held_until", "id"],
                condition=Q(state="planned"),
                name="recipient_due_idx",
            ),
            models.Index(fields=["campaign", "state", "id"], name="recipient_state_idx"),
            # A conversation deleted: its recipients let go of it.
            models.Index(
                fields=["conversation"],
                condition=Q(conversation__isnull=False),
                name="recipient_conversation_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.address or self.contact_id}"

from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in available_timezones())


def zone_named(name: str) -> tzinfo:
    """The time zone ``name``, or the server's (``TIME_ZONE``) when it names none (empty,
    or gone from the time zone database): where a user's pages show times."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    STANDARD = "standard", "Standard user"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STANDARD)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    # Members marked available take part in a team's round-robin auto-assignment.
    is_available = models.BooleanField(default=True)
    # When this user's read marks last changed: part of the key of their cached unread counts.
    read_marks_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def initials(self) -> str:
        parts = (self.get_full_name() or self.username).split()
        return "".join(p[0] for p in parts[:2]).upper()

    def __str__(self) -> str:
        return self.get_full_name() or self.username


# Carriers expect the answer to HELP to say how to stop and how to start again.
HELP_REPLY = (
    "Reply STOP to unsubscribe or START to subscribe again. For help, write to us here and an "
    "agent will answer."
)


class Organisation(models.Model):
    """The single organisation of this deployment; read it with ``Organisation.load()``."""

    name = models.CharField(max_length=200, default="Converse")
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    help_reply = models.TextField(
        default=HELP_REPLY,
        help_text="Sent automatically when a customer writes HELP or INFO.",
    )
    auto_assign_enabled = models.BooleanField(default=True)
    # ISO country code numbers typed without a country code are read in ("GB": 07911 123456
    # is +44 7911 123456). Blank: the DEFAULT_PHONE_REGION setting.
    phone_region = models.CharField(max_length=2, blank=True)
    # Business hours (F-CP4), in ``time_zone``: off means open around the clock.
    hours_enabled = models.BooleanField(default=False)
    opening_hours = models.JSONField(default=dict, blank=True)
    # Automatic replies (F-AU2); blank means none. ``{{opens_at}}`` is filled in.
    out_of_hours_reply = models.TextField(blank=True)
    greeting = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def region(self) -> str:
        from django.conf import settings

        return (self.phone_region or settings.DEFAULT_PHONE_REGION or "").upper()

    @classmethod
    def load(cls) -> "Organisation":
        org, _ = cls.objects.get_or_create(pk=1)
        return org


class TeamMode(models.TextChoices):
    COLLABORATION = "collaboration", "Collaboration (everyone sees and can join)"
    GRAB = "grab", "Grab (first to grab owns it)"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    mode = models.CharField(max_length=16, choices=TeamMode.choices, default=TeamMode.COLLABORATION)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    auto_assign = models.BooleanField(
        default=False, help_text="Round-robin new conversations among available members."
    )
    # The member who received the last auto-assigned conversation (round-robin cursor).
    last_assigned_to = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name

"""A website (a sender ID of the web-chat channel, with how its widget looks and behaves)
and its visitors (each one a browser that opened the widget, known by a secret token)."""

from django.db import models
from django.utils import timezone

from inbox.models import SenderId
from inbox.models.ids import new_public_id


class Website(models.Model):
    """The widget's settings for one website. Its name, team and owner are its sender ID's
    (``sender``): conversations from the site route like any other sender ID's."""

    sender = models.OneToOneField(SenderId, on_delete=models.CASCADE, related_name="website")
    # The embed snippet names the site by this key; it is no secret (it is in the page).
    key = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    # Scheme, host and port, one a line ("https://www.example.com"): only pages of these
    # origins may show the widget (frame-ancestors).
    allowed_origins = models.TextField(
        help_text="One origin a line, such as https://www.example.com (scheme, host and port "
        "if not the default). Only pages of these origins can show the chat."
    )
    greeting = models.CharField(
        max_length=300, default="Hi! How can we help?", help_text="The panel's first line."
    )
    colour = models.CharField(
        max_length=7, default="#2563eb", help_text="The launcher's and the header's colour."
    )
    prechat_form = models.BooleanField(
        "pre-chat form",
        default=False,
        help_text="Ask for the visitor's name and e-mail address (and consent to be e-mailed) "
        "before they write.",
    )
    away_message = models.CharField(
        max_length=500,
        default="We are away right now. Leave a message and your e-mail address, and we will "
        "answer by e-mail.",
        help_text="Shown in the panel outside the sender ID's business hours.",
    )

    def __str__(self) -> str:
        return self.sender.label or self.key

    @property
    def origins(self) -> list[str]:
        return [line.strip() for line in self.allowed_origins.splitlines() if line.strip()]


class Visitor(models.Model):
    """A browser that opened a website's widget. ``address`` is its contact identity's
    (kind "webchat") and its conversation's ``customer_address``; the widget proves who it
    is with a token whose hash alone is stored."""

    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="visitors")
    address = models.CharField(max_length=40, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    # Whether they agreed to be answered by e-mail when they have left.
    email_consent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    # What the widget last reported: the page, the browser's language and time zone.
    page_url = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=35, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    # The newest agent message the visitor has seen (the launcher's badge counts past it).
    read_upto = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name or self.address

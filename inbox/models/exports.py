from django.db import models
from django.utils import timezone

from .conversations import Conversation
from .ids import new_public_id
from .people import User


class TranscriptExport(models.Model):
    """A long PDF transcript being built by a worker, then kept for its requester to download."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="transcript_exports"
    )
    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # Percent done, shown while it builds.
    progress = models.PositiveSmallIntegerField(default=0)
    # False: the private notes are left out (a transcript to give the customer).
    notes = models.BooleanField(default=True, db_default=True)
    file = models.FileField(upload_to="transcripts/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED)


class ContactExport(models.Model):
    """Who exported the contacts, when, with which filters, and how many rows went out:
    an export carries every contact's details, so admins can see each one (Admin →
    Contact exports)."""

    exported_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    # The list's filters as the export's query string ("" for every contact).
    filters = models.CharField(max_length=500, blank=True)
    # Set when the last row has been sent; None for an export cut short.
    row_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

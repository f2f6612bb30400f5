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
    file = models.FileField(upload_to="transcripts/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED)

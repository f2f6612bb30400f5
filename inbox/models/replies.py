from django.db import models
from django.db.models import Q

from .ids import new_public_id
from .people import User
from .senders import Channel


class SavedReply(models.Model):
    """A saved reply (F-TP1): shared by the organisation (no owner) or one user's own.

    The body may hold ``{{field}}`` placeholders, filled from the contact when it is picked;
    so may the subject, which only an e-mail conversation uses (it becomes the mail's).
    """

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    title = models.CharField(max_length=100)
    # E-mail only: the subject of the mail it is sent in (blank: the thread's, "Re: …").
    subject = models.CharField(max_length=300, blank=True, default="", db_default="")
    body = models.TextField(max_length=1600)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_replies"
    )
    # Blank: offered on every channel.
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "saved replies"
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["owner", "title"], name="savedreply_owner_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="savedreply_has_title"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

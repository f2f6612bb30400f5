from django.db import models
from django.db.models import Q

from .conversations import Conversation
from .people import User


class Notification(models.Model):
    """Something a user should hear about (an assignment…); unread until ``read_at``.

    The live-update endpoint reads a user's unread notifications to show a toast or a
    desktop notification, then marks them read.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Conversation assigned to you"
        TAKEN_OVER = "taken_over", "A teammate took over your conversation"
        MENTIONED = "mentioned", "You were mentioned in a note"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            )
        ]

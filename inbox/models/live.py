from django.db import models


class LiveEvent(models.Model):
    """One thing that happened, in the order it was committed: the live stream's log.

    Rows are written by ``inbox.live_events`` once the change they describe has committed,
    read by each web process's one reader (``inbox.live_hub``) and kept only for a while
    (``LIVE_EVENTS_KEPT``): long enough for a reconnecting tab to resume by
    ``Last-Event-ID``. ``conversation_id`` and ``user_id`` are plain numbers, not foreign
    keys, so the log never holds up a write or a delete elsewhere.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField()
    kind = models.CharField(max_length=32)
    # The conversation it happened in: seen by whoever may see that conversation.
    conversation_id = models.BigIntegerField(null=True, blank=True)
    # Only this user's stream carries it (their own read marks, say).
    user_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.pk} {self.kind}"

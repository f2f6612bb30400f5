from django.db import models


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the periodic heartbeat task (one row per worker name).

    The task reaches a worker only through beat and the broker: a recent beat says the
    whole chain runs. The readiness view and the metrics read the newest one.
    """

    worker = models.CharField(max_length=200, unique=True)
    beaten_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker} at {self.beaten_at:%H:%M:%S}"

"""Worker heartbeats: a periodic task records that a worker ran it."""

from datetime import datetime

from ..models import WorkerHeartbeat


def worker_heartbeat_record(*, worker: str, at: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(worker=worker[:200], defaults={"beaten_at": at})

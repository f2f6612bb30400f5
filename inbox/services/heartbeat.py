"""Worker heartbeats: a periodic task records that a worker ran it.

Readiness reads the database's record; the pages read the copy kept in the shared cache, so
saying "no worker" costs them no query.
"""

from datetime import datetime

from django.conf import settings
from django.core.cache import caches

from ..models import WorkerHeartbeat

LAST_BEAT_KEY = "worker:last-beat"
# When a web process first looked and found no beat: a worker just starting is not missing.
WATCHED_SINCE_KEY = "worker:watched-since"


def worker_heartbeat_record(*, worker: str, at: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(worker=worker[:200], defaults={"beaten_at": at})
    caches["shared"].set(LAST_BEAT_KEY, at.timestamp(), timeout=None)


def worker_silent_for(*, now: datetime) -> float | None:
    """Seconds since a worker last beat (or since the pages began waiting for one) when
    that is longer than ``READY_MAX_HEARTBEAT_AGE_SECONDS``; None while workers beat, and
    when the shared cache cannot be read or written (a file cache on a full or unwritable
    disk): the warning is not worth the page."""
    try:
        shared = caches["shared"]
        last = shared.get(LAST_BEAT_KEY)
        if last is None:
            shared.add(WATCHED_SINCE_KEY, now.timestamp(), timeout=None)
            last = shared.get(WATCHED_SINCE_KEY, now.timestamp())
    except OSError:
        return None
    silent = now.timestamp() - float(last)
    return silent if silent > settings.READY_MAX_HEARTBEAT_AGE_SECONDS else None

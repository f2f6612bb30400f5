"""Worker heartbeats: a periodic task records that a worker ran it.

Readiness reads the database's record; the pages read the copy kept in the shared cache, so
saying "no worker" costs them no query.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import caches

from ..models import WorkerHeartbeat

log = logging.getLogger(__name__)

LAST_BEAT_KEY = "worker:last-beat"
# When a web process first looked and found no beat: a worker just starting is not missing.
WATCHED_SINCE_KEY = "worker:watched-since"


def worker_heartbeat_record(*, worker: str, at: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(worker=worker[:200], defaults={"beaten_at": at})
    try:
        caches["shared"].set(LAST_BEAT_KEY, at.timestamp(), timeout=None)
    except Exception:  # the pages then say nothing; readiness still reads the database
        log.warning("worker heartbeat not kept in the shared cache", exc_info=True)


def worker_silent_for(*, now: datetime) -> float | None:
    """Seconds since a worker last beat (or since the pages began waiting for one) when
    that is longer than ``READY_MAX_HEARTBEAT_AGE_SECONDS``; None while workers beat, or
    when the shared cache cannot answer (a page never fails for this line)."""
    try:
        shared = caches["shared"]
        last = shared.get(LAST_BEAT_KEY)
        if last is None:
            shared.add(WATCHED_SINCE_KEY, now.timestamp(), timeout=None)
            last = shared.get(WATCHED_SINCE_KEY, now.timestamp())
        silent = now.timestamp() - float(last)
    except Exception:
        log.warning("worker heartbeat not readable from the shared cache", exc_info=True)
        return None
    return silent if silent > settings.READY_MAX_HEARTBEAT_AGE_SECONDS else None

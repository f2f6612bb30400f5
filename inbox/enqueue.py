"""Queueing a task from a request without failing it when the broker is down.

Every task a request queues works on something saved first (a send, a held message, an
export, an import), so the request never answers 500 for a broker outage: what was saved
waits. Sends and held messages are queued again by their beat sweeps once the broker
answers (``recover_stuck_messages``, ``release_due_held_messages``).
"""

import logging
from typing import Any

from celery import Task
from kombu.exceptions import OperationalError as KombuOperationalError

from converse.counters import ENQUEUE_FAILURES

log = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, countdown: float = 0, later: str = "the sweep will") -> bool:
    """Queue ``task(*args)`` in ``countdown`` seconds; False when the broker cannot be
    reached (logged and counted, never raised). ``later`` says, for the log, what picks
    the work up instead."""
    try:
        task.apply_async(args=list(args), countdown=countdown)
    except (KombuOperationalError, OSError):
        ENQUEUE_FAILURES.inc()
        log.warning(
            "%s%r not queued: the broker is unreachable; %s", task.name, args, later, exc_info=True
        )
        return False
    return True

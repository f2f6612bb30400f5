"""The requests the test server is answering right now.

A browser test's page keeps asking (live updates, presence beats) until its context is
closed, and a request already in the server then still runs. If the test's database were
reset under it, that request would write into the next test's empty tables. Browser tests
therefore wait, after closing their pages, until the server has been idle for a moment.

A request is not all: a live stream's body runs after its middleware returned, and a stream
cancelled by a closing page leaves the query it was running to finish in its thread. The
reset (a TRUNCATE of every table, which locks them one by one) then deadlocks with such a
query that holds one table and asks for the next. So on PostgreSQL the wait also lasts
until no other session of the test database runs a statement or holds a transaction.
"""

import threading
import time

from django.db import connection

_lock = threading.Lock()
_answering = 0
_last_answered = 0.0


class InFlightMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        global _answering, _last_answered
        with _lock:
            _answering += 1
        try:
            return self.get_response(request)
        finally:
            with _lock:
                _answering -= 1
                _last_answered = time.monotonic()


BUSY_SESSIONS = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND backend_type = 'client backend'
      AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')
"""


def _database_busy() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(BUSY_SESSIONS)
        return cursor.fetchone()[0] > 0


def wait_until_idle(*, quiet: float = 0.3, timeout: float = 20.0) -> None:
    """Return once no request has been answered for ``quiet`` seconds and no other session
    of the test database is busy (or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            idle = _answering == 0 and time.monotonic() - _last_answered >= quiet
        if idle and not _database_busy():
            return
        time.sleep(0.05)

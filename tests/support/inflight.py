"""The requests the test server is answering right now.

A browser test's page keeps asking (live updates, presence beats) until its context is
closed, and a request already in the server then still runs. If the test's database were
reset under it, that request would write into the next test's empty tables. Browser tests
therefore wait, after closing their pages, until the server has been idle for a moment.
"""

import threading
import time

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


def wait_until_idle(*, quiet: float = 0.3, timeout: float = 20.0) -> None:
    """Return once no request has been answered for ``quiet`` seconds (or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            idle = _answering == 0 and time.monotonic() - _last_answered >= quiet
        if idle:
            return
        time.sleep(0.05)

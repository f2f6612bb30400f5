"""Prometheus counters the code increments (served by ``converse.metrics``).

Under gunicorn or several Celery processes, set ``PROMETHEUS_MULTIPROC_DIR`` to one empty
folder for all of them, on each host, before they start: every process then writes its
counts there and ``/metrics`` adds them up.
"""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "converse_http_requests", "HTTP requests answered, by view, method and status code.",
    ["view", "method", "status"],
)  # fmt: skip
HTTP_REQUEST_SECONDS = Histogram(
    "converse_http_request_duration_seconds", "Time to answer an HTTP request, by view.", ["view"]
)
WEBHOOKS = Counter(
    "converse_webhooks", "Twilio webhooks answered, by webhook and outcome.", ["webhook", "outcome"]
)
INBOUND_ROUTED = Counter(
    "converse_inbound_routed", "Stored inbound webhooks a worker routed, by outcome.", ["outcome"]
)
SENDS = Counter(
    "converse_sends", "Send attempts, by outcome (sent, retry, failed) and provider error code.",
    ["outcome", "code"],
)  # fmt: skip
ENQUEUE_FAILURES = Counter(
    "converse_enqueue_failures", "Sends not queued because the broker could not be reached."
)

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def method_label(method: str | None) -> str:
    return method if method in _METHODS else "other"

"""GET /metrics: Prometheus metrics, for monitoring (the token or an admin, as ``/readyz``).

Counters come from ``converse.counters`` (every process's, with ``PROMETHEUS_MULTIPROC_DIR``);
the backlog's gauges are read from the database and the broker when the page is scraped.
"""

import logging
import os
import time

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .backlog import backlog_at
from .celery import app as celery_app
from .counters import HTTP_REQUEST_SECONDS, HTTP_REQUESTS, method_label
from .operations import forbidden, operations_allowed

log = logging.getLogger(__name__)


def _gauge(name: str, documentation: str, value: float | None) -> GaugeMetricFamily:
    """A gauge; an age of nothing (no backlog) is 0."""
    return GaugeMetricFamily(name, documentation, value=value or 0)


def broker_queue_lengths() -> dict[str, int]:
    """Tasks waiting in each Celery queue, on Redis; nothing on another broker or when the
    broker does not answer."""
    if not celery_app.conf.broker_url.startswith("redis"):
        return {}
    names = [queue.name for queue in celery_app.conf.task_queues or ()]
    try:
        with celery_app.connection_for_read() as conn:
            client = conn.default_channel.client
            return {name: client.llen(name) for name in names}
    except Exception:
        log.warning("metrics: broker queue lengths not read", exc_info=True)
        return {}


class BacklogCollector:
    """The ``/readyz`` figures and the broker's queue lengths, read at each scrape."""

    def collect(self):
        backlog = backlog_at(now=timezone.now())
        yield _gauge(
            "converse_inbound_waiting", "Inbound messages stored, not routed yet.",
            backlog.inbound_waiting,
        )  # fmt: skip
        yield _gauge(
            "converse_inbound_oldest_age_seconds", "Age of the oldest inbound message not routed.",
            backlog.inbound_oldest_age,
        )  # fmt: skip
        yield _gauge(
            "converse_inbound_given_up", "Inbound messages whose routing failed too often.",
            backlog.inbound_given_up,
        )  # fmt: skip
        yield _gauge(
            "converse_sends_waiting", "Sends due and not handed to the provider yet.",
            backlog.sends_waiting,
        )  # fmt: skip
        yield _gauge(
            "converse_sends_oldest_age_seconds", "Seconds the oldest waiting send has been due.",
            backlog.sends_oldest_age,
        )  # fmt: skip
        heartbeat = GaugeMetricFamily(
            "converse_worker_heartbeat_age_seconds",
            "Seconds since a worker last ran the heartbeat task (absent: never).",
        )
        if backlog.heartbeat_age is not None:
            heartbeat.add_metric([], backlog.heartbeat_age)
        yield heartbeat
        queues = GaugeMetricFamily(
            "converse_broker_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"]
        )
        for name, length in broker_queue_lengths().items():
            queues.add_metric([name], length)
        yield queues


_BACKLOG = CollectorRegistry(auto_describe=False)
_BACKLOG.register(BacklogCollector())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not operations_allowed(request):
        return forbidden()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    return HttpResponse(
        generate_latest(counters) + generate_latest(_BACKLOG), content_type=CONTENT_TYPE_LATEST
    )


class RequestMetricsMiddleware:
    """Counts every answered request by view (its URL name), method and status code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unmatched"
        HTTP_REQUESTS.labels(
            view=view, method=method_label(request.method), status=str(response.status_code)
        ).inc()
        HTTP_REQUEST_SECONDS.labels(view=view).observe(time.perf_counter() - started)
        return response

"""The report page's figures, kept in the shared cache for ``REPORTS_CACHE_SECONDS``: they
read every conversation of the period, so the page is computed once a while, says as of
when, and offers to compute it again. Kept as JSON (our own figures' fields, numbers and
strings), never as pickled objects. The CSV export and the drill-down lists stay live."""

import hashlib
import json
import logging
from dataclasses import asdict
from datetime import datetime

import redis
from django.conf import settings
from django.core.cache import caches

from ..models import Channel, SenderId, Team, User
from .figures import Figure, Report, Row, computed
from .periods import ReportQuery

KEY_VERSION = 1  # raise it when what is kept changes shape (Figure, Row, series)

log = logging.getLogger(__name__)


def key(query: ReportQuery) -> str:
    """Everything the figures depend on: the days, the time zone and the filters."""
    asked = query.as_params() | {
        "first": query.period.first.isoformat(),
        "last": query.period.last.isoformat(),
        "tz": str(query.period.tz),
    }
    digest = hashlib.blake2b(repr(sorted(asked.items())).encode(), digest_size=16).hexdigest()
    return f"reports:{KEY_VERSION}:{digest}"


def _dumped(figures: dict) -> str:
    return json.dumps(
        {
            "headline": [asdict(f) for f in figures["headline"]],
            "series": figures["series"],
            "heatmap": figures["heatmap"],
            "agents": [asdict(r) for r in figures["agents"]],
            "senders": [asdict(r) for r in figures["senders"]],
            "computed_at": figures["computed_at"].isoformat(),
        }
    )


def _loaded(raw: str) -> dict:
    data = json.loads(raw)
    return data | {
        "headline": [Figure(**f) for f in data["headline"]],
        "agents": [Row(r["name"], [tuple(c) for c in r["cells"]]) for r in data["agents"]],
        "senders": [Row(r["name"], [tuple(c) for c in r["cells"]]) for r in data["senders"]],
        "computed_at": datetime.fromisoformat(data["computed_at"]),
    }


def _figures(query: ReportQuery, *, refresh: bool, people: dict, senders: dict) -> dict:
    """The figures kept for ``query``, or computed now (and kept) when there are none, or
    when ``refresh`` asks. Without the shared cache (Redis down) they are computed."""
    store, name = caches["shared"], key(query)
    try:
        raw = None if refresh else store.get(name)
    except redis.RedisError as error:
        log.warning("reports computed, not kept: cache unavailable: %s", error)
        return computed(query, people=people, senders=senders)
    if raw is not None:
        return _loaded(raw)
    figures = computed(query, people=people, senders=senders)
    try:
        store.set(name, _dumped(figures), settings.REPORTS_CACHE_SECONDS)
    except redis.RedisError as error:
        log.warning("reports not kept: cache unavailable: %s", error)
    return figures


def report(*, query: ReportQuery, refresh: bool = False) -> Report:
    """Everything the page shows, in a fixed number of queries (see the query-count tests):
    the figures as computed up to ``REPORTS_CACHE_SECONDS`` ago (now, with ``refresh``),
    the filter choices as they are."""
    people = {u.pk: u for u in User.objects.filter(is_active=True).order_by("username")}
    senders = {s.pk: s for s in SenderId.objects.order_by("label", "address")}
    return Report(
        query=query,
        **_figures(query, refresh=refresh, people=people, senders=senders),
        choices={
            "teams": list(Team.objects.order_by("name")),
            "agents": list(people.values()),
            "senders": list(senders.values()),
            "channels": Channel.choices,
        },
    )

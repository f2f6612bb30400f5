"""The report page's figures, kept in the shared cache. Computing them reads every
conversation of the period (a fraction of a second on a large inbox), so the page answers
from kept figures and says as of when:

- figures younger than ``REPORTS_CACHE_SECONDS`` are current and shown as they are;
- older ones are still shown, for ``REPORTS_STALE_SECONDS`` more, while a worker computes
  them again (one refresh at a time per report), and the page says newer ones are coming;
- with none kept (a report nobody opened lately) the request computes them;
- beat keeps today, 7 days and 30 days current in every admin's time zone (``warm``), so
  the report an admin opens first is answered from kept figures too.

Refresh computes at once. Figures are kept as JSON-able data (our own figures' fields,
numbers and strings), which the Redis store keeps as JSON (``converse.shared_cache``), never
as pickles; what does not read back as figures is computed again. The CSV export and the
drill-down lists stay live.
"""

import contextlib
import hashlib
import logging
import zoneinfo
from dataclasses import asdict
from datetime import date, datetime, timedelta

import redis
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from ..models import Channel, Role, SenderId, Team, User
from ..models.people import zone_named
from .figures import Figure, Report, Row, computed
from .origins import campaign_choices
from .periods import PRESETS, ReportQuery

KEY_VERSION = 2  # raise it when what is kept changes shape (Figure, Row, series)
FIELDS = {"headline", "series", "heatmap", "agents", "senders", "computed_at"}  # _dumped's

log = logging.getLogger(__name__)
# The shared cache cannot be reached: Redis is down, or the local file cache's disk fails.
CACHE_UNAVAILABLE = (redis.RedisError, OSError)


def key(query: ReportQuery) -> str:
    """Everything the figures depend on: the days, the time zone and the filters."""
    asked = query.as_params() | {
        "first": query.period.first.isoformat(),
        "last": query.period.last.isoformat(),
        "tz": str(query.period.tz),
    }
    digest = hashlib.blake2b(repr(sorted(asked.items())).encode(), digest_size=16).hexdigest()
    return f"reports:{KEY_VERSION}:{digest}"


def _dumped(figures: dict) -> dict:
    return {
        "headline": [asdict(f) for f in figures["headline"]],
        "series": figures["series"],
        "heatmap": figures["heatmap"],
        "agents": [asdict(r) for r in figures["agents"]],
        "senders": [asdict(r) for r in figures["senders"]],
        "computed_at": figures["computed_at"].isoformat(),
    }


def _loaded(data: dict) -> dict:
    """``_dumped`` read back; KeyError, TypeError or ValueError when ``data`` is not that
    (an entry of another shape, as a deploy that changed it without ``KEY_VERSION`` leaves)."""
    if set(data) != FIELDS:
        raise KeyError(f"fields {sorted(set(data) ^ FIELDS)}")
    computed_at = datetime.fromisoformat(data["computed_at"])
    if computed_at.tzinfo is None:
        raise ValueError("computed_at without a time zone")
    return data | {
        "headline": [Figure(**f) for f in data["headline"]],
        "agents": [Row(r["name"], [tuple(c) for c in r["cells"]]) for r in data["agents"]],
        "senders": [Row(r["name"], [tuple(c) for c in r["cells"]]) for r in data["senders"]],
        "computed_at": computed_at,
    }


def _kept(name: str) -> dict | None:
    """The figures kept under ``name``; None when there are none, or when what is there
    does not read back as figures (it is then computed again). Redis errors pass."""
    try:
        data = caches["shared"].get(name)
        return None if data is None else _loaded(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        log.warning("kept report %s unreadable: computed again", name, exc_info=True)
        return None


def _people() -> dict[int, User]:
    return {u.pk: u for u in User.objects.filter(is_active=True).order_by("username")}


def _senders() -> dict[int, SenderId]:
    return {s.pk: s for s in SenderId.objects.order_by("label", "address")}


def _is_current(figures: dict, now: datetime) -> bool:
    return now - figures["computed_at"] < timedelta(seconds=settings.REPORTS_CACHE_SECONDS)


def keep(query: ReportQuery, *, people: dict | None = None, senders: dict | None = None) -> dict:
    """Compute the figures of ``query`` now and keep them (when the cache answers)."""
    figures = computed(
        query,
        people=_people() if people is None else people,
        senders=_senders() if senders is None else senders,
    )
    shown_for = settings.REPORTS_CACHE_SECONDS + settings.REPORTS_STALE_SECONDS
    try:
        caches["shared"].set(key(query), _dumped(figures), shown_for)
    except CACHE_UNAVAILABLE as error:
        log.warning("reports not kept: cache unavailable: %s", error)
    return figures


def as_task(query: ReportQuery) -> dict:
    """``query`` as the JSON a task gets (``from_task`` reads it back)."""
    return {
        "params": query.as_params(),
        "tz": str(query.period.tz),
        "today": query.period.last.isoformat(),
    }


def from_task(asked: dict) -> ReportQuery:
    return ReportQuery.from_query(
        asked["params"],
        tz=zoneinfo.ZoneInfo(asked["tz"]),
        today=date.fromisoformat(asked["today"]),
    )


def _claim(query: ReportQuery) -> str:
    """The cache key held while a worker computes ``query`` again."""
    return f"{key(query)}:refreshing"


def _refresh_later(query: ReportQuery) -> bool:
    """Ask a worker to compute ``query`` again, unless one is already on it (the claim is
    held ``REPORTS_CACHE_SECONDS`` at most); False when the cache or the broker cannot be
    reached (the older figures are shown all the same, and the claim is let go)."""
    from ..tasks import refresh_report  # tasks import this module: import here

    claim = _claim(query)
    try:
        if not caches["shared"].add(claim, 1, settings.REPORTS_CACHE_SECONDS):
            return True
    except CACHE_UNAVAILABLE:
        log.warning("report refresh not asked for: cache unavailable", exc_info=True)
        return False
    try:
        refresh_report.delay(as_task(query))
    except (*CACHE_UNAVAILABLE, KombuOperationalError):
        log.warning("report refresh not queued: the broker is unreachable", exc_info=True)
        with contextlib.suppress(*CACHE_UNAVAILABLE):
            caches["shared"].delete(claim)
        return False
    return True


def recompute(asked: dict) -> None:
    """The worker's side of ``_refresh_later``: compute and keep, unless someone did while
    the task waited (beat, a Refresh); then let the next refresh come."""
    query = from_task(asked)
    try:
        kept = _kept(key(query))
        if kept is None or not _is_current(kept, timezone.now()):
            keep(query)
    finally:
        caches["shared"].delete(_claim(query))


def _figures(query: ReportQuery, *, refresh: bool, people: dict, senders: dict) -> dict:
    """The figures kept for ``query`` (with ``refreshing`` when they are older than current
    and a worker computes them again), or computed now when none are kept, or when
    ``refresh`` asks. Without the shared cache (Redis down) they are computed."""
    try:
        figures = None if refresh else _kept(key(query))
    except CACHE_UNAVAILABLE as error:
        log.warning("reports computed, not kept: cache unavailable: %s", error)
        return computed(query, people=people, senders=senders) | {"refreshing": False}
    if figures is None:
        return keep(query, people=people, senders=senders) | {"refreshing": False}
    stale = not _is_current(figures, timezone.now())
    return figures | {"refreshing": stale and _refresh_later(query)}


def report(*, query: ReportQuery, refresh: bool = False) -> Report:
    """Everything the page shows, in a fixed number of queries (see the query-count tests):
    the kept figures (computed now with ``refresh``, or when none are kept), the filter
    choices as they are."""
    people, senders = _people(), _senders()
    return Report(
        query=query,
        **_figures(query, refresh=refresh, people=people, senders=senders),
        choices={
            "teams": list(Team.objects.order_by("name")),
            "agents": list(people.values()),
            "senders": list(senders.values()),
            "channels": Channel.choices,
            "campaigns": campaign_choices(),
        },
    )


def warm(*, now: datetime) -> int:
    """Compute the preset periods (no filters) in each active admin's time zone (as their
    pages read it: ``zone_named``) whose kept figures would no longer be current by beat's
    next run, late by up to half a period; how many were computed."""
    ahead = timedelta(seconds=settings.REPORTS_WARM_SECONDS * 1.5)
    zones = (
        User.objects.filter(role=Role.ADMIN, is_active=True)
        .order_by("time_zone")
        .values_list("time_zone", flat=True)
        .distinct()
    )
    people, senders, done = _people(), _senders(), 0
    for tz in dict.fromkeys(map(zone_named, zones)):
        for preset in PRESETS:
            query = ReportQuery.from_query(
                {"period": preset}, tz=tz, today=timezone.localdate(now, tz)
            )
            figures = _kept(key(query))
            if figures is not None and _is_current(figures, now + ahead):
                continue
            keep(query, people=people, senders=senders)
            done += 1
    return done

"""Business hours (F-CP4), computed once, here: is a schedule open at an instant, when does
it next open, how much open time lies between two instants.

Hours are wall-clock times in the schedule's own time zone: 09:00 stays 09:00 when the
clocks change, because every opening is placed on its local date with ``zoneinfo`` and only
then turned into UTC. Holidays close a whole local day; a recurring one every year.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.utils import timezone

from ..models import Holiday, HoursMode, Organisation, SenderId

Interval = tuple[time, time]
MIDNIGHT = time(0)
# How far ahead "next opening" looks: a schedule closed for longer than this never opens.
HORIZON = timedelta(days=400)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Hours:
    """One schedule, ready to compute with."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    always_open: bool = False
    week: dict[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    # (month, day) of the holidays that come back every year.
    recurring: frozenset[tuple[int, int]] = frozenset()

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (day.month, day.day) in self.recurring


ALWAYS_OPEN = Hours(always_open=True)


# -- Parsing and showing a week ------------------------------------------------------------

_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$")


def parse_intervals(text: str) -> tuple[Interval, ...]:
    """``"09:00-12:30, 13:30-18:00"`` as intervals; blank is closed all day.

    Raises ValueError, in words for the admin, for anything else: a malformed time, a
    closing before its opening, overlapping intervals. ``00:00`` as a closing is midnight.
    """
    intervals = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", text or ""))):
        match = _INTERVAL.match(part)
        if not match:
            raise ValueError(f"“{part}” is not an interval like 09:00-17:30.")
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"“{part}” is not a time of day.")
        opens, closes = time(h1, m1), time(h2, m2)
        if closes != MIDNIGHT and closes <= opens:
            raise ValueError(f"“{part}” closes before it opens.")
        intervals.append((opens, closes))
    intervals.sort()
    for (_, closes), (opens, _) in pairwise(intervals):
        if closes == MIDNIGHT or opens < closes:
            raise ValueError("Intervals overlap; list each opening time once.")
    return tuple(intervals)


def format_intervals(intervals: tuple[Interval, ...]) -> str:
    return ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in intervals)


def week_from_json(raw: dict | None) -> dict[int, tuple[Interval, ...]]:
    """The stored JSON week (``{"0": [["09:00", "17:00"]]}``) as intervals per weekday."""
    week = {}
    for day, pairs in (raw or {}).items():
        week[int(day)] = tuple(
            (time.fromisoformat(o), time.fromisoformat(c)) for o, c in pairs or ()
        )
    return week


def week_to_json(week: dict[int, tuple[Interval, ...]]) -> dict:
    return {
        str(day): [[f"{o:%H:%M}", f"{c:%H:%M}"] for o, c in intervals]
        for day, intervals in sorted(week.items())
        if intervals
    }


# -- Which hours apply ---------------------------------------------------------------------


Holidays = tuple[frozenset[date], frozenset[tuple[int, int]]]


def load_holidays() -> Holidays:
    """The organisation's holidays: one-off dates, and (month, day) of recurring ones."""
    return holidays_from(Holiday.objects.values_list("date", "recurring"))


def holidays_from(rows: Iterable[tuple[date, bool]]) -> Holidays:
    rows = list(rows)
    return (
        frozenset(d for d, recurring in rows if not recurring),
        frozenset((d.month, d.day) for d, recurring in rows if recurring),
    )


def _hours(zone: str, week: dict | None, holidays: Holidays | None) -> Hours:
    one_off, recurring = holidays or load_holidays()
    return Hours(
        zone=ZoneInfo(zone), week=week_from_json(week), holidays=one_off, recurring=recurring
    )


def organisation_hours(
    organisation: Organisation | None = None, *, holidays: Holidays | None = None
) -> Hours:
    """The organisation's hours (open around the clock while business hours are off)."""
    org = organisation or Organisation.load()
    if not org.hours_enabled:
        return ALWAYS_OPEN
    return _hours(org.time_zone, org.opening_hours, holidays)


def sender_hours(
    sender: SenderId,
    *,
    organisation: Organisation | None = None,
    holidays: Holidays | None = None,
) -> Hours:
    """The hours ``sender`` keeps: its own override (24/7 or its own week) or the
    organisation's. A sender ID's own week closes on the organisation's holidays too.
    Pass ``organisation`` and ``holidays`` when working through many sender IDs."""
    if sender.hours == HoursMode.ALWAYS:
        return ALWAYS_OPEN
    if sender.hours == HoursMode.OWN:
        return _hours(sender.hours_time_zone, sender.opening_hours, holidays)
    return organisation_hours(organisation, holidays=holidays)


# -- Computing -----------------------------------------------------------------------------


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def open_spans(hours: Hours, start: datetime, end: datetime | None = None) -> Iterator:
    """The open spans ``(from, to)`` in UTC that overlap ``[start, end)``, in order, clipped
    to it and merged where one runs into the next (a day open until midnight and the next
    from midnight). Without ``end``, looks ``HORIZON`` ahead."""
    end = end or start + HORIZON
    if hours.always_open:
        if start < end:
            yield start, end
        return
    day = start.astimezone(hours.zone).date() - timedelta(days=1)
    last = end.astimezone(hours.zone).date()
    pending: tuple[datetime, datetime] | None = None
    while day <= last:
        if not hours.is_holiday(day):
            for opens, closes in hours.week.get(day.weekday(), ()):
                span_start = _local(day, opens, hours.zone)
                span_end = _local(
                    day + timedelta(days=1) if closes == MIDNIGHT else day, closes, hours.zone
                )
                span_start, span_end = max(span_start, start), min(span_end, end)
                if span_start >= span_end:
                    continue
                if pending and span_start <= pending[1]:
                    pending = (pending[0], max(pending[1], span_end))
                    continue
                if pending:
                    yield pending
                pending = (span_start, span_end)
        day += timedelta(days=1)
    if pending:
        yield pending


def is_open(hours: Hours, at: datetime) -> bool:
    """Whether ``hours`` are open at the instant ``at`` (an opening minute is open, the
    closing minute is not)."""
    return next(open_spans(hours, at, at + timedelta(microseconds=1)), None) is not None


def next_opening(hours: Hours, after: datetime) -> datetime | None:
    """``after`` itself when open then; else when the hours next open (None: not within a
    year, a schedule with no opening times)."""
    span = next(open_spans(hours, after), None)
    return span[0] if span else None


def closed_until(hours: Hours, at: datetime) -> datetime | None:
    """When closed at ``at``, the next opening; None when open (or never opening again)."""
    return None if is_open(hours, at) else next_opening(hours, at)


def open_seconds_between(hours: Hours, start: datetime, end: datetime) -> float:
    """How many seconds of ``[start, end)`` fall within the open hours."""
    return sum((b - a).total_seconds() for a, b in open_spans(hours, start, end))


def open_time_reached(hours: Hours, start: datetime, seconds: float) -> datetime | None:
    """The instant at which ``seconds`` of open time have passed since ``start``."""
    left = timedelta(seconds=seconds)
    for a, b in open_spans(hours, start):
        if b - a >= left:
            return a + left
        left -= b - a
    return None


def status_line(hours: Hours, now: datetime, *, named: bool = False) -> str:
    """What the settings page says of a schedule now: "Open now · closes 18:00",
    "Closed now · opens Monday 09:00", in the schedule's own time zone; ``named`` adds the
    zone after the time ("… 09:00 (America/New_York)")."""
    if hours.always_open:
        return "Open 24/7"
    span = next(open_spans(hours, now), None)
    if span is None:
        return "Closed: no opening times"
    zone = f" ({hours.zone.key})" if named else ""
    if span[0] <= now:
        return f"Open now · closes {opening_label(span[1], zone=hours.zone, now=now)}{zone}"
    return f"Closed now · opens {opening_label(span[0], zone=hours.zone, now=now)}{zone}"


def opening_label(at: datetime, *, zone: ZoneInfo | None = None, now: datetime | None = None):
    """How an opening time reads: "Monday 09:00", with the date when a week or more away.

    In ``zone`` (the sender ID's, for auto-replies and the settings page, which name it
    themselves), else in the reader's own, named: "Monday 14:00, Europe/London time" (the
    schedule may be in another zone, which pages show beside it).
    """
    local = at.astimezone(zone) if zone else timezone.localtime(at)
    today = (now or timezone.now()).astimezone(local.tzinfo).date()
    if local.date() - today >= timedelta(days=6):
        label = f"{WEEKDAYS[local.weekday()]} {local.day} {local:%B} {local:%H:%M}"
    else:
        label = f"{WEEKDAYS[local.weekday()]} {local:%H:%M}"
    return label if zone else f"{label}, {timezone.get_current_timezone_name()} time"

"""Quiet hours in the recipient's own local time (issue 27).

A campaign send goes only while it is between the organisation's quiet-hours start and end
(default 08:00-21:00) in the recipient's time zone, or between a stricter region's (a US
state, as its area code places the number: ``QuietHoursRule``). The zone comes from the
number (phonenumbers' time-zone mapper); a number that maps to several zones must be inside
the window in every one of them (the strictest reading); a number it cannot place uses the
organisation's zone.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as number_zones

UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class Window:
    """Sending is allowed from ``start`` (inclusive) to ``end`` (exclusive), local time, in
    each of ``zones``."""

    zones: tuple[str, ...]
    start: time
    end: time
    region: str = ""

    def allows(self, at: datetime) -> bool:
        return all(self._open_in(zone, at) for zone in self.zones)

    def _open_in(self, zone: str, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(zone)).time()
        return self.start <= local < self.end

    def next_opening(self, at: datetime) -> datetime:
        """``at`` when open, else the first moment after it when every zone is open."""
        candidate = at
        for _ in range(4 * len(self.zones) + 4):
            closed = [zone for zone in self.zones if not self._open_in(zone, candidate)]
            if not closed:
                return candidate
            candidate = max(self._start_after(zone, candidate) for zone in closed)
        return candidate

    def _start_after(self, zone: str, at: datetime) -> datetime:
        """The next local ``start`` in ``zone`` after ``at`` (today's or tomorrow's)."""
        tz = ZoneInfo(zone)
        local = at.astimezone(tz)
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        return datetime.combine(day, self.start, tzinfo=tz)

    @property
    def label(self) -> str:
        where = self.region or ", ".join(self.zones)
        return f"{self.start:%H:%M}–{self.end:%H:%M} {where}"


def number_zones_of(e164: str) -> tuple[str, ...]:
    """The time zones phonenumbers places ``e164`` in (empty when it cannot)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = tuple(z for z in number_zones.time_zones_for_number(parsed) if z != UNKNOWN_ZONE)
    return zones


def number_region(e164: str) -> str:
    """Where phonenumbers places a +1 number ("Florida"); blank elsewhere or unknown."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    if parsed.country_code != 1:
        return ""
    return geocoder.description_for_number(parsed, "en")


def region_keys(region: str) -> set[str]:
    """What a rule may be named to match ``region``: "Florida" itself, and "CA" for
    "San Francisco, CA" (phonenumbers names a state, or a city and its state's code)."""
    keys = {region} if region else set()
    if ", " in region:
        keys.add(region.rsplit(", ", 1)[1])
    return keys


def window_for(
    *, e164: str, start: time, end: time, fallback_zone: str, rules: dict[str, tuple[time, time]]
) -> Window:
    """The sending window of a recipient at ``e164``: the organisation's ``start`` to ``end``
    narrowed by the rule of the number's region in ``rules`` (``{"Florida": (08:00, 20:00),
    "FL": (08:00, 20:00)}``: by state name and by code)."""
    zones = number_zones_of(e164) or (fallback_zone,)
    region = number_region(e164)
    for key in region_keys(region) & rules.keys():
        rule_start, rule_end = rules[key]
        start, end = max(start, rule_start), min(end, rule_end)
    return Window(zones=zones, start=start, end=end, region=region)

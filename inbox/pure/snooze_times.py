"""When a snooze ends (F-CO3): the choices offered, computed in the agent's own time zone."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

MORNING = time(9, 0)


class BadSnoozeTime(ValueError):
    """A snooze choice or custom time that cannot be used; the message is for the agent."""


@dataclass(frozen=True)
class SnoozeChoice:
    key: str
    label: str
    at: datetime | None  # None: until the customer writes


def _morning(day, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=tz)


def snooze_choices(*, now: datetime, tz: ZoneInfo) -> list[SnoozeChoice]:
    """In an hour; tomorrow 09:00; next Monday 09:00 (a week on, on a Monday); until the
    customer writes. Dates are the agent's local dates."""
    today = now.astimezone(tz).date()
    monday = today + timedelta(days=7 - today.weekday())
    return [
        SnoozeChoice("hour", "In an hour", now + timedelta(hours=1)),
        SnoozeChoice("tomorrow", "Tomorrow 09:00", _morning(today + timedelta(days=1), tz)),
        SnoozeChoice("monday", f"Next Monday ({monday:%d %b}) 09:00", _morning(monday, tz)),
        SnoozeChoice("reply", "Until the customer writes", None),
    ]


def snooze_until(choice: str, *, now: datetime, tz: ZoneInfo, custom: str = "") -> datetime | None:
    """The end of the snooze for ``choice`` (``custom``: a ``YYYY-MM-DDTHH:MM`` local time)."""
    if choice == "custom":
        try:
            at = datetime.fromisoformat(custom.strip()).replace(tzinfo=tz)
        except ValueError:
            raise BadSnoozeTime("Pick a date and time to snooze until.") from None
        if at <= now:
            raise BadSnoozeTime("Pick a time in the future.")
        return at
    for option in snooze_choices(now=now, tz=tz):
        if option.key == choice:
            return option.at
    raise BadSnoozeTime("Choose how long to snooze.")

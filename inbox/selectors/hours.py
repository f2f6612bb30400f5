"""Reads for the business hours settings page: a week at a glance, what is open now."""

from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone

from ..models import Holiday, Organisation, SenderId
from ..services.business_hours import (
    WEEKDAYS,
    format_intervals,
    holidays_from,
    organisation_hours,
    sender_hours,
    status_line,
    week_from_json,
)

# The week at a glance draws each day as 48 half-hour slots.
SLOTS_PER_DAY = 48


@dataclass(frozen=True)
class DayAtAGlance:
    name: str
    intervals: str
    slots: tuple[bool, ...]


@dataclass(frozen=True)
class SenderHoursRow:
    sender: SenderId
    hours: str
    status: str


@dataclass(frozen=True)
class HoursOverview:
    organisation: Organisation
    status: str
    week: list[DayAtAGlance]
    holidays: list[Holiday]
    senders: list[SenderHoursRow]


def _minutes(at: time, *, closing: bool) -> int:
    return 24 * 60 if closing and at == time(0) else at.hour * 60 + at.minute


def week_at_a_glance(week: dict) -> list[DayAtAGlance]:
    """Each weekday's intervals, and which of its half hours they touch."""
    days = []
    parsed = week_from_json(week)
    for day, name in enumerate(WEEKDAYS):
        intervals = parsed.get(day, ())
        spans = [(_minutes(o, closing=False), _minutes(c, closing=True)) for o, c in intervals]
        slots = tuple(
            any(start < (slot + 1) * 30 and end > slot * 30 for start, end in spans)
            for slot in range(SLOTS_PER_DAY)
        )
        days.append(DayAtAGlance(name, format_intervals(intervals) or "Closed", slots))
    return days


def hours_overview(
    *, organisation: Organisation | None = None, now: datetime | None = None
) -> HoursOverview:
    """Everything the settings page shows, in three queries however many sender IDs (two
    when given the ``organisation``)."""
    now = now or timezone.now()
    organisation = organisation or Organisation.load()
    holidays = list(Holiday.objects.order_by("date"))
    loaded = holidays_from((h.date, h.recurring) for h in holidays)
    org_hours = organisation_hours(organisation, holidays=loaded)
    senders = []
    for sender in SenderId.objects.filter(is_active=True).order_by("label", "address"):
        hours = sender_hours(sender, organisation=organisation, holidays=loaded)
        senders.append(
            SenderHoursRow(
                sender=sender,
                hours=sender.get_hours_display(),
                # Each sender ID's hours may be in a zone of its own: named beside the time.
                status=status_line(hours, now, named=True),
            )
        )
    return HoursOverview(
        organisation=organisation,
        status=status_line(org_hours, now)
        if organisation.hours_enabled
        else "Business hours are off: messages go out at any time",
        week=week_at_a_glance(organisation.opening_hours),
        holidays=holidays,
        senders=senders,
    )

"""Business hours for tests: a London office open weekdays 09:00-12:30 and 13:30-18:00."""

from datetime import datetime
from zoneinfo import ZoneInfo

from inbox.models import Organisation

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE_WEEK = {str(day): [["09:00", "12:30"], ["13:30", "18:00"]] for day in range(5)}


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def set_office_hours(week: dict | None = None, zone: str = "Europe/London", **fields):
    """Switch the organisation's business hours on with ``week`` (the office week)."""
    org = Organisation.load()
    org.hours_enabled, org.time_zone = True, zone
    org.opening_hours = OFFICE_WEEK if week is None else week
    for name, value in fields.items():
        setattr(org, name, value)
    org.save()
    return org

"""Business hours computed once (F-CP4): open or closed, next opening, open time."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.models import Holiday, HoursMode
from inbox.services.business_hours import (
    Hours,
    is_open,
    next_opening,
    open_seconds_between,
    open_time_reached,
    opening_label,
    parse_intervals,
    sender_hours,
    status_line,
    week_from_json,
)

from .hours_support import LONDON, NEW_YORK, OFFICE_WEEK, london, set_office_hours

OFFICE = Hours(zone=LONDON, week=week_from_json(OFFICE_WEEK))
UTC = ZoneInfo("UTC")


def minute(at: datetime, delta: int) -> datetime:
    return at + timedelta(minutes=delta)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (london(2026, 12, 7, 8, 59), False),  # Monday, the minute before opening
        (london(2026, 12, 7, 9, 0), True),  # opening
        (london(2026, 12, 7, 12, 29), True),  # the minute before lunch
        (london(2026, 12, 7, 12, 30), False),  # lunch
        (london(2026, 12, 7, 13, 29), False),
        (london(2026, 12, 7, 13, 30), True),  # after lunch
        (london(2026, 12, 7, 17, 59), True),  # the minute before closing
        (london(2026, 12, 7, 18, 0), False),  # closing
        (london(2026, 12, 5, 11, 0), False),  # Saturday
    ],
)
def test_open_at_the_edges_of_each_interval(at, expected):
    assert is_open(OFFICE, at) is expected


def test_the_next_opening_after_lunch_and_after_the_week():
    assert next_opening(OFFICE, london(2026, 12, 7, 12, 45)) == london(2026, 12, 7, 13, 30)
    assert next_opening(OFFICE, london(2026, 12, 4, 18, 0)) == london(2026, 12, 7, 9, 0)
    assert next_opening(OFFICE, london(2026, 12, 7, 10, 0)) == london(2026, 12, 7, 10, 0)


def test_a_holiday_closes_the_whole_day():
    hours = Hours(zone=LONDON, week=OFFICE.week, holidays=frozenset({date(2026, 12, 7)}))
    assert not is_open(hours, london(2026, 12, 7, 10, 0))
    assert next_opening(hours, london(2026, 12, 4, 19, 0)) == london(2026, 12, 8, 9, 0)


def test_a_recurring_holiday_closes_the_same_day_every_year():
    hours = Hours(zone=LONDON, week=OFFICE.week, recurring=frozenset({(12, 25)}))
    assert not is_open(hours, london(2026, 12, 25, 10, 0))  # a Friday
    assert not is_open(hours, london(2028, 12, 25, 10, 0))  # a Monday
    assert next_opening(hours, london(2026, 12, 24, 18, 0)) == london(2026, 12, 28, 9, 0)


@pytest.mark.parametrize(
    ("zone", "before", "after", "utc_before", "utc_after"),
    [
        # London: clocks go forward on 29 March 2026 and back on 25 October 2026.
        ("Europe/London", date(2026, 3, 27), date(2026, 3, 30), time(9), time(8)),
        ("Europe/London", date(2026, 10, 23), date(2026, 10, 26), time(8), time(9)),
        # New York: forward on 8 March 2026, back on 1 November 2026.
        ("America/New_York", date(2026, 3, 6), date(2026, 3, 9), time(14), time(13)),
        ("America/New_York", date(2026, 10, 30), date(2026, 11, 2), time(13), time(14)),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_a_clock_change(
    zone, before, after, utc_before, utc_after
):
    hours = Hours(zone=ZoneInfo(zone), week=OFFICE.week)
    friday_evening = datetime.combine(before, time(19), tzinfo=ZoneInfo(zone))
    opening = next_opening(hours, friday_evening)
    assert opening.astimezone(UTC) == datetime.combine(after, utc_after, tzinfo=UTC)
    assert opening.astimezone(ZoneInfo(zone)).time() == time(9)
    friday_opening = datetime.combine(before, utc_before, tzinfo=UTC)
    assert is_open(hours, friday_opening)
    assert not is_open(hours, minute(friday_opening, -1))
    assert not is_open(hours, minute(opening, -1))


def test_open_time_counts_only_open_hours():
    friday_five = london(2026, 12, 4, 17, 0)
    monday_ten = london(2026, 12, 7, 10, 0)
    assert open_seconds_between(OFFICE, friday_five, monday_ten) == 2 * 3600
    # Five minutes of open time from 17:58 on Friday: two on Friday, three on Monday.
    assert open_time_reached(OFFICE, london(2026, 12, 4, 17, 58), 300) == london(2026, 12, 7, 9, 3)
    # Across the New York spring change, a Monday 09:00-10:00 is one hour.
    new_york = Hours(zone=NEW_YORK, week=OFFICE.week)
    friday = datetime(2026, 3, 6, 18, tzinfo=NEW_YORK)
    monday = datetime(2026, 3, 9, 10, tzinfo=NEW_YORK)
    assert open_seconds_between(new_york, friday, monday) == 3600


def test_a_day_open_until_midnight_runs_into_the_next():
    hours = Hours(
        zone=LONDON, week=week_from_json({"5": [["00:00", "00:00"]], "6": [["00:00", "00:00"]]})
    )
    assert is_open(hours, london(2026, 12, 5, 23, 59))
    assert is_open(hours, london(2026, 12, 6, 0, 0))
    assert not is_open(hours, london(2026, 12, 7, 0, 0))
    saturday = london(2026, 12, 5, 0, 0)
    assert open_seconds_between(hours, saturday, saturday + timedelta(days=3)) == 48 * 3600


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("9-5", "not an interval"),
        ("09:00-25:00", "not a time of day"),
        ("18:00-09:00", "closes before it opens"),
        ("09:00-13:00, 12:00-18:00", "overlap"),
    ],
)
def test_bad_intervals_are_refused_in_words(text, error):
    with pytest.raises(ValueError, match=error):
        parse_intervals(text)


def test_intervals_read_in_any_order_and_with_dashes():
    assert parse_intervals("13:30–18:00; 9:00-12:30") == (
        (time(9), time(12, 30)),
        (time(13, 30), time(18)),
    )
    assert parse_intervals("  ") == ()


def test_labels_say_the_weekday_and_the_date_when_a_week_away():
    now = london(2026, 12, 4, 19, 0)
    assert opening_label(london(2026, 12, 7, 9, 0), zone=LONDON, now=now) == "Monday 09:00"
    assert (
        opening_label(london(2026, 12, 14, 9, 0), zone=LONDON, now=now)
        == "Monday 14 December 09:00"
    )
    assert status_line(OFFICE, now) == "Closed now · opens Monday 09:00"
    assert status_line(OFFICE, london(2026, 12, 7, 10, 0)) == "Open now · closes Monday 12:30"


def test_a_sender_id_keeps_its_override(db, alice_line):
    set_office_hours()
    Holiday.objects.create(date=date(2026, 12, 7), name="Office party")
    sunday = london(2026, 12, 6, 11, 0)
    assert not is_open(sender_hours(alice_line), sunday)

    alice_line.hours = HoursMode.ALWAYS
    assert is_open(sender_hours(alice_line), sunday)
    assert is_open(sender_hours(alice_line), london(2026, 12, 7, 11, 0))  # 24/7 ignores holidays

    alice_line.hours = HoursMode.OWN
    alice_line.hours_time_zone = "America/New_York"
    alice_line.opening_hours = {str(d): [["08:00", "20:00"]] for d in range(7)}
    own = sender_hours(alice_line)
    assert is_open(own, datetime(2026, 12, 6, 19, 59, tzinfo=NEW_YORK))
    assert not is_open(own, datetime(2026, 12, 6, 20, 0, tzinfo=NEW_YORK))
    assert not is_open(own, datetime(2026, 12, 7, 12, 0, tzinfo=NEW_YORK))  # the holiday


def test_hours_switched_off_are_open_around_the_clock(db, alice_line):
    assert sender_hours(alice_line).always_open

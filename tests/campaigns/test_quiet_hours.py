"""Quiet hours in the recipient's own local time, at the edges (a fixed clock, DST)."""

from datetime import UTC, datetime, time

import pytest

from campaigns.quiet_hours import Window, number_region, number_zones_of, window_for

FEDERAL = (time(8), time(21))
STATES = {"Florida": (time(8), time(20)), "CT": (time(9), time(20))}
FLORIDA = "+13055550100"  # Miami: America/New_York
SAN_FRANCISCO = "+14155550100"  # "San Francisco, CA": America/Los_Angeles


def window(number: str, fallback: str = "UTC") -> Window:
    return window_for(
        e164=number, start=FEDERAL[0], end=FEDERAL[1], fallback_zone=fallback, rules=STATES
    )


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_number_places_the_recipient_in_their_zone_and_state():
    assert number_zones_of(FLORIDA) == ("America/New_York",)
    assert number_region(FLORIDA) == "Florida"
    assert number_zones_of(SAN_FRANCISCO) == ("America/Los_Angeles",)


def test_a_second_before_and_at_the_opening_in_the_recipients_time():
    w = window(SAN_FRANCISCO)  # 08:00 PST is 16:00 UTC in December
    assert not w.allows(utc(2026, 12, 7, 15, 59, 59))
    assert w.allows(utc(2026, 12, 7, 16, 0, 0))
    assert w.next_opening(utc(2026, 12, 7, 15, 59, 59)) == utc(2026, 12, 7, 16)


def test_a_second_before_and_at_the_close_in_the_recipients_time():
    w = window(SAN_FRANCISCO)  # 21:00 PST is 05:00 UTC the next day
    assert w.allows(utc(2026, 12, 8, 4, 59, 59))
    assert not w.allows(utc(2026, 12, 8, 5, 0, 0))
    assert w.next_opening(utc(2026, 12, 8, 5)) == utc(2026, 12, 8, 16)


def test_a_stricter_state_closes_earlier():
    w = window(FLORIDA)  # Florida: 20:00, not 21:00 (EST, UTC-5)
    assert w.allows(utc(2026, 12, 8, 0, 59, 59))
    assert not w.allows(utc(2026, 12, 8, 1, 0, 0))
    assert w.label == "08:00–20:00 Florida"


def test_a_city_numbers_state_rule_applies_by_the_states_code():
    california = window_for(
        e164=SAN_FRANCISCO,
        start=time(8),
        end=time(21),
        fallback_zone="UTC",
        rules={"CA": (time(9), time(20))},
    )
    assert (california.start, california.end) == (time(9), time(20))


def test_the_opening_after_a_spring_forward_night_is_8_local():
    """8 March 2026: New York moves from UTC-5 to UTC-4; 08:00 is 12:00 UTC, not 13:00."""
    w = window(FLORIDA)
    evening_before = utc(2026, 3, 8, 1, 30)  # 20:30 EST on 7 March: closed in Florida
    assert not w.allows(evening_before)
    assert w.next_opening(evening_before) == utc(2026, 3, 8, 12)
    assert not w.allows(utc(2026, 3, 8, 11, 59, 59))
    assert w.allows(utc(2026, 3, 8, 12))


def test_the_opening_after_a_fall_back_night_is_8_local():
    """1 November 2026: New York goes back to UTC-5; 08:00 is 13:00 UTC."""
    w = window(FLORIDA)
    assert w.next_opening(utc(2026, 11, 1, 3)) == utc(2026, 11, 1, 13)
    assert not w.allows(utc(2026, 11, 1, 12, 59, 59))


def test_a_number_of_several_zones_waits_for_the_latest_of_them():
    w = Window(zones=("America/New_York", "America/Los_Angeles"), start=time(8), end=time(21))
    # 13:00 UTC: 08:00 in New York, 05:00 in Los Angeles: not yet.
    assert not w.allows(utc(2026, 12, 7, 13))
    assert w.next_opening(utc(2026, 12, 7, 13)) == utc(2026, 12, 7, 16)


@pytest.mark.parametrize("number", ["+447700900123", "not a number"])
def test_a_number_it_cannot_place_uses_the_organisations_zone(number):
    w = window(number, fallback="Europe/London")
    assert w.zones == ("Europe/London",)
    assert w.allows(utc(2026, 12, 7, 8)) and not w.allows(utc(2026, 12, 7, 7, 59, 59))

"""The business hours settings page (F-CP4, F-AU2): admins only, clear errors, a fixed cost."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from inbox.models import Channel, Holiday, HoursMode, Organisation, SenderId

from .hours_support import OFFICE_WEEK, london, set_office_hours

PAGE = reverse("inbox:hours_settings")


def week_data(**days) -> dict:
    data = {f"day_{d}": "09:00-12:30, 13:30-18:00" if d < 5 else "" for d in range(7)}
    return data | {"hours_enabled": "on", "time_zone": "Europe/London"} | days


def test_an_admin_sees_the_week_and_when_it_opens(client, admin, alice_line):
    set_office_hours()
    client.force_login(admin)
    with time_machine.travel(london(2026, 12, 4, 19, 0), tick=False):
        html = client.get(PAGE).content.decode()
    assert "Closed now · opens Monday 09:00" in html
    assert "<td>09:00-12:30, 13:30-18:00</td>" in html
    assert html.count("slot slot-open") == 5 * 16  # 8 open hours, 16 half hours, 5 days
    assert "Alice&#x27;s line" in html or "Alice's line" in html


def test_an_admin_saves_the_hours_and_the_auto_replies(client, admin):
    client.force_login(admin)
    data = week_data(out_of_hours_reply="Closed; back {{ opens_at }}", greeting="Hi!")
    assert client.post(PAGE, data).status_code == 302
    org = Organisation.load()
    assert org.hours_enabled and org.opening_hours == OFFICE_WEEK
    assert org.out_of_hours_reply == "Closed; back {{opens_at}}"
    with time_machine.travel(london(2026, 12, 7, 10, 0), tick=False):
        assert "Open now · closes Monday 12:30" in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (week_data(day_0="9 to 5"), "is not an interval like 09:00-17:30"),
        (week_data(day_2="18:00-09:00"), "closes before it opens"),
        ({"hours_enabled": "on", "time_zone": "Europe/London"}, "at least one opening time"),
        (week_data(time_zone="Mars/Olympus"), "Select a valid choice"),
        (week_data(out_of_hours_reply="Hi {{first_name}}"), "cannot be filled in"),
    ],
)
def test_bad_input_is_refused_in_words_and_nothing_is_saved(client, admin, data, error):
    client.force_login(admin)
    response = client.post(PAGE, data)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Organisation.load().hours_enabled
    if data.get("day_0") == "9 to 5":
        assert 'value="9 to 5"' in response.content.decode()  # what was typed stays


def test_holidays_are_added_and_removed(client, admin):
    client.force_login(admin)
    add = reverse("inbox:holiday_add")
    data = {"date": "2026-12-25", "name": "Christmas", "recurring": "on"}
    assert client.post(add, data).status_code == 302
    assert client.post(add, data).status_code == 422  # the same date twice
    holiday = Holiday.objects.get()
    assert holiday.recurring and "25 December, every year" in client.get(PAGE).content.decode()
    assert client.post(add, {"date": "not a date", "name": "x"}).status_code == 422
    client.post(reverse("inbox:holiday_delete", args=[holiday.public_id]))
    assert not Holiday.objects.exists()


def test_a_sender_id_gets_its_own_hours(client, admin, alice_line):
    client.force_login(admin)
    url = reverse("inbox:sender_hours", args=[alice_line.public_id])
    assert client.get(url).status_code == 200
    data = week_data(hours=HoursMode.OWN, hours_time_zone="America/New_York")
    data |= {"auto_replies": "off", "day_5": "08:00-20:00"}
    no_hours = {f"day_{d}": "" for d in range(7)}
    assert client.post(url, data | no_hours).status_code == 422  # its own hours, but none
    assert client.post(url, data).status_code == 302
    alice_line.refresh_from_db()
    assert alice_line.hours == HoursMode.OWN and alice_line.opening_hours["5"] == [
        ["08:00", "20:00"]
    ]
    assert alice_line.auto_replies == "off"
    page = client.get(url).content.decode()
    assert '<option value="America/New_York" selected>' in page  # its zone, shown again


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (PAGE, "get"),
        (PAGE, "post"),
        (reverse("inbox:holiday_add"), "post"),
        ("holiday", "post"),
        ("sender", "get"),
        ("sender", "post"),
    ],
)
def test_only_admins_reach_the_settings(client, alice, alice_line, url, method):
    holiday = Holiday.objects.create(date=date(2026, 12, 25), name="Christmas")
    if url == "holiday":
        url = reverse("inbox:holiday_delete", args=[holiday.public_id])
    if url == "sender":
        url = reverse("inbox:sender_hours", args=[alice_line.public_id])
    call = getattr(client, method)
    anonymous = call(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    client.force_login(alice)  # the owner of the sender ID, but not an admin
    assert call(url, week_data()).status_code == 404
    assert Holiday.objects.exists() and not Organisation.load().hours_enabled


def test_the_page_costs_the_same_however_many_sender_ids(client, admin, django_assert_num_queries):
    set_office_hours()
    Holiday.objects.create(date=date(2026, 12, 25), name="Christmas", recurring=True)
    client.force_login(admin)

    def add_senders(n):
        for _ in range(n):
            SenderId.objects.create(
                address=f"+1415555{SenderId.objects.count():04d}", channel=Channel.SMS
            )

    add_senders(1)
    # Session, user, the organisation, holidays, sender IDs, the live badge's unread count.
    with django_assert_num_queries(6):
        client.get(PAGE)
    add_senders(5)
    with django_assert_num_queries(6):
        client.get(PAGE)


def test_each_sender_ids_status_names_the_zone_its_time_is_in(client, admin, alice_line):
    set_office_hours()  # London
    alice_line.hours, alice_line.hours_time_zone = HoursMode.OWN, "America/New_York"
    alice_line.opening_hours = {str(d): [["09:00", "17:00"]] for d in range(5)}
    alice_line.save()
    client.force_login(admin)
    with time_machine.travel(london(2026, 12, 5, 12, 0), tick=False):  # a Saturday
        html = client.get(PAGE).content.decode()
    assert "Closed now · opens Monday 09:00 (America/New_York)" in html

"""Business hours edited in Django admin move held messages as the settings page does."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from inbox.models import HoursMode, Message, Organisation
from inbox.services.hours_settings import holiday_add

from ..conftest import receive
from .hours_support import london, set_office_hours

FRIDAY_EVENING = london(2026, 12, 4, 18, 30)
MONDAY_OPENING = london(2026, 12, 7, 9, 0)
TUESDAY_OPENING = london(2026, 12, 8, 9, 0)


@pytest.fixture
def held(alice, alice_line, admin, tasks, django_capture_on_commit_callbacks):
    """Alice's reply on Friday evening, held until Monday 09:00."""
    from inbox.services.sending import message_send

    set_office_hours()
    with time_machine.travel(london(2026, 12, 4, 17, 0), tick=False):
        conversation = receive(alice_line, "+12025550123", "Where is my parcel?").conversation
    with (
        time_machine.travel(FRIDAY_EVENING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = message_send(conversation=conversation, author=alice, body="It left today")
    assert message.scheduled_for == MONDAY_OPENING
    tasks.queued.clear()
    return message


@pytest.fixture
def staff(client, admin):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


def change_form_data(client, url: str, **changes) -> dict:
    """What the admin's change form posts for an object, with ``changes``."""
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data |= changes
    return {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False)}


def saved_in_admin(client, django_capture_on_commit_callbacks, url: str, data: dict):
    with (
        time_machine.travel(FRIDAY_EVENING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_a_holiday_added_in_admin_moves_a_held_message(
    staff, held, tasks, django_capture_on_commit_callbacks
):
    data = {"date": "2026-12-07", "name": "Bank holiday"}
    saved_in_admin(
        staff, django_capture_on_commit_callbacks, reverse("admin:inbox_holiday_add"), data
    )
    assert Message.objects.get(pk=held.pk).scheduled_for == TUESDAY_OPENING
    assert tasks.names == ["inbox.tasks.release_held_message"]  # due at the new opening
    assert tasks.queued[0].countdown == pytest.approx(
        (TUESDAY_OPENING - FRIDAY_EVENING).total_seconds()
    )


@pytest.mark.parametrize("how", ["its delete page", "the list's delete action"])
def test_a_holiday_deleted_in_admin_moves_it_back(
    staff, admin, held, tasks, django_capture_on_commit_callbacks, how
):
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        holiday = holiday_add(by=admin, day=date(2026, 12, 7), name="Bank holiday", recurring=False)
    assert Message.objects.get(pk=held.pk).scheduled_for == TUESDAY_OPENING
    if how == "its delete page":
        url, data = reverse("admin:inbox_holiday_delete", args=[holiday.pk]), {"post": "yes"}
    else:
        url = reverse("admin:inbox_holiday_changelist")
        data = {"action": "delete_selected", "_selected_action": [holiday.pk], "post": "yes"}
    saved_in_admin(staff, django_capture_on_commit_callbacks, url, data)
    assert Message.objects.get(pk=held.pk).scheduled_for == MONDAY_OPENING


def test_hours_switched_off_in_admin_release_it_now(
    staff, held, tasks, django_capture_on_commit_callbacks
):
    org = Organisation.load()
    url = reverse("admin:inbox_organisation_change", args=[org.pk])
    data = change_form_data(staff, url, hours_enabled=False)
    saved_in_admin(staff, django_capture_on_commit_callbacks, url, data)
    assert not Organisation.load().hours_enabled
    assert Message.objects.get(pk=held.pk).scheduled_for == FRIDAY_EVENING


def test_a_sender_id_made_24_7_in_admin_releases_it_now(
    staff, held, alice_line, tasks, django_capture_on_commit_callbacks
):
    url = reverse("admin:inbox_senderid_change", args=[alice_line.pk])
    data = change_form_data(staff, url, hours=HoursMode.ALWAYS)
    saved_in_admin(staff, django_capture_on_commit_callbacks, url, data)
    assert Message.objects.get(pk=held.pk).scheduled_for == FRIDAY_EVENING
    assert tasks.names == ["inbox.tasks.release_held_message"]

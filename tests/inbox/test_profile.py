"""Each user sets their own time zone and changes their password on the profile page, and
every time Converse shows them follows their zone, and names it beside a schedule's zone."""

import time_machine
from django.test import Client
from django.urls import reverse

from inbox.models.people import TIME_ZONE_CHOICES
from inbox.services.sending import message_send

from ..conftest import receive
from .hours_support import london, set_office_hours

FRIDAY_EVENING = london(2026, 12, 4, 18, 30)


def test_the_top_bar_links_to_the_profile_page(client, alice):
    client.force_login(alice)
    page = client.get(reverse("inbox:my_inbox")).content.decode()
    assert f'href="{reverse("inbox:profile")}"' in page
    profile = client.get(reverse("inbox:profile"))
    assert profile.status_code == 200
    assert "Your time zone" in profile.content.decode()


def test_a_user_sets_their_time_zone_and_then_sees_times_in_it(
    client, alice, alice_line, tasks, django_capture_on_commit_callbacks
):
    set_office_hours()  # London, opening Monday 09:00
    with time_machine.travel(london(2026, 12, 4, 17, 0), tick=False):
        conversation = receive(alice_line, "+12025550123", "Where is my parcel?").conversation
    with (
        time_machine.travel(FRIDAY_EVENING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message_send(conversation=conversation, author=alice, body="It left today")
    client.force_login(alice)
    url = reverse("inbox:conversation", args=[conversation.public_id])

    response = client.post(reverse("inbox:profile"), {"time_zone": "America/New_York"})
    assert response.status_code == 302
    assert "Times are now shown in America/New_York." in client.get(response["Location"]).text

    with time_machine.travel(london(2026, 12, 4, 19, 0), tick=False):
        page = client.get(url).content.decode()
        profile = client.get(reverse("inbox:profile")).content.decode()
    # London's 09:00 opening, in New York, named as such; the thread's times follow too.
    assert "what you send now will be sent Monday 04:00, America/New_York time" in page
    assert "Will be sent Monday 04:00, America/New_York time (outside business hours)" in page
    assert 'title="Fri 4 Dec 2026, 12:00:00">12:00</time>' in page  # written at 17:00 London
    assert "It is now Friday 14:00 in America/New_York." in profile


def test_an_unknown_time_zone_is_refused_with_a_clear_message(client, alice):
    client.force_login(alice)
    response = client.post(reverse("inbox:profile"), {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 422
    assert (
        "“Mars/Olympus_Mons” is not a time zone Converse knows. Choose one from the list"
        in response.content.decode()
    )
    alice.refresh_from_db()
    assert alice.time_zone == "UTC"


def test_a_user_changes_their_password_and_stays_signed_in(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:password_change"),
        {
            "old_password": "alice",
            "new_password1": "harbour-lantern-91",
            "new_password2": "harbour-lantern-91",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("inbox:profile")
    assert "Your password was changed." in client.get(reverse("inbox:profile")).text
    assert Client().login(username="alice", password="harbour-lantern-91")


def test_a_weak_or_wrong_password_change_is_refused_with_the_reason(client, alice):
    client.force_login(alice)
    url = reverse("inbox:password_change")
    weak = client.post(
        url, {"old_password": "alice", "new_password1": "short", "new_password2": "short"}
    )
    assert weak.status_code == 422
    assert "This password is too short." in weak.content.decode()
    wrong = client.post(
        url,
        {
            "old_password": "not-it",
            "new_password1": "harbour-lantern-91",
            "new_password2": "harbour-lantern-91",
        },
    )
    assert wrong.status_code == 422
    assert "Your old password was entered incorrectly." in wrong.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("alice")


def test_the_current_password_cannot_be_guessed_on_the_profile_page(client, alice, settings):
    """The sign-in throttle never sees this form: it counts wrong current passwords itself."""
    settings.AXES_FAILURE_LIMIT = 3
    alice.set_password("the-right-one-42")
    alice.save()
    client.force_login(alice)
    url = reverse("inbox:password_change")
    new = {"new_password1": "Br4nd-new-secret", "new_password2": "Br4nd-new-secret"}
    for guess in ("guess-1", "guess-2", "guess-3"):
        assert client.post(url, {"old_password": guess, **new}).status_code == 422
    refused = client.post(url, {"old_password": "the-right-one-42", **new})
    assert refused.status_code == 429
    assert "Too many wrong passwords" in refused.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("the-right-one-42")


def test_the_profile_page_costs_the_same_few_queries_for_anyone(
    client, alice, admin, django_assert_num_queries
):
    """Pinned: the page reads the user and the shared chrome (navigation counts), nothing
    that grows with their conversations."""
    for user in (alice, admin):
        client.force_login(user)
        client.get(reverse("inbox:profile"))  # session and caches warm
        with django_assert_num_queries(PROFILE_QUERIES):
            assert client.get(reverse("inbox:profile")).status_code == 200


PROFILE_QUERIES = 3


def test_the_time_zone_list_offers_every_zone_with_the_users_own_chosen(client, alice):
    alice.time_zone = "America/New_York"
    alice.save()
    client.force_login(alice)
    page = client.get(reverse("inbox:profile")).content.decode()
    assert page.count("<option ") == len(TIME_ZONE_CHOICES)
    assert page.count(" selected>") == 1
    assert '<option value="America/New_York" selected>America/New_York</option>' in page

"""Collision warning (F-CO1): who else is viewing or typing, and who replied meanwhile."""

import pytest
import time_machine
from django.urls import reverse

from inbox import presence
from inbox.services.sending import message_send
from inbox.views.live import format_version

from ..conftest import receive


@pytest.fixture
def shared(shared_line):
    return receive(shared_line, "+12025550123", "Hello?").conversation


def beat(client, conversation, **fields):
    url = reverse("inbox:presence", args=[conversation.public_id])
    return client.post(url, fields)


def test_each_agent_sees_the_other_viewing_and_typing(presence_store, client, shared, alice, bob):
    client.force_login(alice)
    assert beat(client, shared).json()["text"] == ""
    client.force_login(bob)
    assert beat(client, shared, typing="1").json()["text"] == "Alice is viewing"
    client.force_login(alice)
    assert beat(client, shared).json()["text"] == "Bob is typing…"


def test_a_viewer_who_stops_beating_is_gone_and_typing_fades(presence_store, shared, alice, bob):
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        presence.presence_beat(conversation_id=shared.pk, user_id=bob.pk, name="Bob", typing=True)
        clock.shift(presence.TYPING_SECONDS)
        assert presence.viewers(conversation_id=shared.pk, besides=alice.pk) == [
            presence.Viewer(bob.pk, "Bob", typing=False)
        ]
        clock.shift(presence.GONE_AFTER_SECONDS - presence.TYPING_SECONDS)
        assert presence.viewers(conversation_id=shared.pk, besides=alice.pk) == []


def test_closing_the_window_leaves_at_once(presence_store, client, shared, alice, bob):
    client.force_login(bob)
    beat(client, shared)
    assert beat(client, shared, left="1").status_code == 204
    assert presence.viewers(conversation_id=shared.pk, besides=alice.pk) == []


def test_a_reply_by_someone_else_since_my_draft_began_is_reported(client, shared, alice, bob):
    client.force_login(alice)
    since = format_version(shared.last_inbound_at)
    assert beat(client, shared, since=since).json()["replied_by"] == ""
    message_send(conversation=shared, author=alice, body="Mine")
    assert beat(client, shared, since=since).json()["replied_by"] == ""
    message_send(conversation=shared, author=bob, body="On it")
    answer = beat(client, shared, since=since).json()
    assert answer["replied_by"] == "Bob"
    # Once seen (the draft restarts after it), nothing is reported.
    assert beat(client, shared, since=answer["outbound"]).json()["replied_by"] == ""


def test_presence_is_404_to_whoever_cannot_see_it(client, shared, carol):
    assert beat(client, shared).status_code == 302
    client.force_login(carol)
    assert beat(client, shared).status_code == 404


def test_a_beat_costs_four_queries(client, shared, alice, django_assert_num_queries):
    client.force_login(alice)
    # Session, user, reach, the conversation; presence itself is not in the database.
    with django_assert_num_queries(4):
        beat(client, shared, typing="1")


def test_beats_from_two_processes_are_both_kept(presence_store, shared, alice, bob):
    """One field per viewer: neither beat overwrites the other."""
    presence.presence_beat(conversation_id=shared.pk, user_id=alice.pk, name="A", typing=False)
    presence.presence_beat(conversation_id=shared.pk, user_id=bob.pk, name="B", typing=False)
    seen = presence.viewers(conversation_id=shared.pk, besides=0)
    assert [v.name for v in seen] == ["A", "B"]


def test_without_redis_the_window_works_on_without_presence(client, settings, shared, alice):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    client.force_login(alice)
    response = beat(client, shared, typing="1")
    assert response.status_code == 200
    assert response.json()["text"] == ""


def test_a_beat_says_whether_others_see_a_change(presence_store, shared, alice):
    def beat(typing: bool) -> bool:
        return presence.presence_beat(
            conversation_id=shared.pk, user_id=alice.pk, name="Alice", typing=typing
        )

    assert beat(False) is True  # she came
    assert beat(False) is False  # still there: nothing to push
    assert beat(True) is True  # she started typing


def test_a_tab_on_the_stream_beats_rarely_and_stays_present_meanwhile(
    presence_store, shared, alice
):
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        presence.presence_beat(
            conversation_id=shared.pk,
            user_id=alice.pk,
            name="Alice",
            typing=False,
            every=presence.STREAM_BEAT_SECONDS,
        )
        clock.shift(2 * presence.STREAM_BEAT_SECONDS)
        assert [v.name for v in presence.viewers(conversation_id=shared.pk, besides=0)] == ["Alice"]
        clock.shift(presence.STREAM_BEAT_SECONDS + 1)
        assert presence.viewers(conversation_id=shared.pk, besides=0) == []

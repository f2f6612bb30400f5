"""Typing, both ways: the agent sees the visitor typing beside the thread, the visitor sees
an agent typing a reply in the widget; each fades by itself and reaches only its own chat."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from inbox import presence
from inbox.models import Conversation

from .test_widget_api import call, new_visitor, write

pytestmark = pytest.mark.django_db


def agent_beat(client, agent, conversation, **fields) -> str:
    """What the agent's window says beside the thread after a beat."""
    client.force_login(agent)
    url = reverse("inbox:presence", args=[conversation.public_id])
    response = client.post(url, fields)
    client.logout()
    return response.json()["text"]


def typing(client, website, token):
    return call(client, website, token, "typing", {"typing": True})


def test_the_agent_sees_the_visitor_typing_until_they_send(presence_store, client, website, alice):
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    conversation = Conversation.objects.get()
    assert agent_beat(client, alice, conversation) == ""
    assert typing(client, website, token).status_code == 204
    assert agent_beat(client, alice, conversation) == "The visitor is typing…"
    write(client, website, token, "Do you ship to Norway?", key="k2")
    assert agent_beat(client, alice, conversation) == ""


def test_a_visitor_who_gave_their_name_is_named(presence_store, client, website, alice):
    token = new_visitor(client, website)
    call(client, website, token, "profile", {"name": "Dana", "email": ""})
    write(client, website, token, "Hi")
    typing(client, website, token)
    conversation = Conversation.objects.get()
    assert agent_beat(client, alice, conversation) == "Dana (visitor) is typing…"


def test_the_visitors_typing_fades_by_itself(presence_store, client, website, alice):
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    conversation = Conversation.objects.get()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        typing(client, website, token)
        assert agent_beat(client, alice, conversation) == "The visitor is typing…"
        clock.shift(timedelta(seconds=presence.TYPING_SECONDS + 1))
        # Gone, not left behind as someone "viewing".
        assert agent_beat(client, alice, conversation) == ""


def test_the_visitor_sees_an_agent_typing_a_reply_by_first_name(
    presence_store, client, website, alice
):
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    conversation = Conversation.objects.get()
    agent_beat(client, alice, conversation)
    assert call(client, website, token, "state").json()["typing"] == ""
    agent_beat(client, alice, conversation, typing="1")
    assert call(client, website, token, "state").json()["typing"] == "Alice is typing…"
    alice.first_name = ""
    alice.save()
    state = call(client, website, token, "state")
    assert state.json()["typing"] == "Someone is typing…"
    assert alice.username not in state.content.decode()


def test_the_agents_typing_fades_by_itself(presence_store, client, website, alice):
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    conversation = Conversation.objects.get()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        agent_beat(client, alice, conversation, typing="1")
        assert call(client, website, token, "state").json()["typing"] == "Alice is typing…"
        clock.shift(timedelta(seconds=presence.TYPING_SECONDS + 1))
        assert call(client, website, token, "state").json()["typing"] == ""


def test_a_second_visitor_learns_nothing_of_the_first_ones_typing(
    presence_store, client, website, alice
):
    first = new_visitor(client, website)
    second = new_visitor(client, website)
    write(client, website, first, "Hi from the first")
    write(client, website, second, "Hi from the second")
    first_chat, second_chat = Conversation.objects.order_by("pk")
    agent_beat(client, alice, first_chat, typing="1")
    typing(client, website, first)
    assert call(client, website, first, "state").json()["typing"] == "Alice is typing…"
    assert call(client, website, second, "state").json()["typing"] == ""
    assert agent_beat(client, alice, first_chat) == "The visitor is typing…"
    assert agent_beat(client, alice, second_chat) == ""
    # A stranger's token reaches nobody's conversation.
    assert call(client, website, "not-a-token", "typing", {"typing": True}).status_code == 401


def test_typing_before_the_first_message_tells_nobody(presence_store, client, website):
    token = new_visitor(client, website)
    assert typing(client, website, token).status_code == 204
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("data", [{}, {"typing": "yes"}, {"typing": 1}, "[true]"])
def test_a_bad_typing_report_is_refused_with_its_reason(client, website, data):
    token = new_visitor(client, website)
    response = call(client, website, token, "typing", data)
    assert response.status_code == 400
    assert response.json()["error"]


def test_typing_reports_are_rate_limited_per_visitor(client, website, settings, one_rate_window):
    settings.WEBCHAT_RATE_TYPING = "2/m"
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    codes = [typing(client, website, token).status_code for _ in range(4)]
    assert codes == [204, 204, 429, 429]
    other = new_visitor(client, website)
    assert typing(client, website, other).status_code == 204

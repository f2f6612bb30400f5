"""Every conversation-window action as admin, owner, another agent and anonymous.

A standard user guessing a conversation id they may not see gets 404; anonymous visitors
go to the login page; CSRF protection stays on.
"""

import pytest
from django.test import Client
from django.urls import reverse

from inbox.models import Channel, SenderId

from ..conftest import receive

OWNER_ACTIONS = [
    ("close", "post", {}),
    ("note", "post", {"body": "Checked the order"}),
    ("contact", "get", {}),
    ("contact", "post", {"display_name": "Maria", "email": "", "labels": ""}),
]


@pytest.fixture
def team_conversation(support_team, admin):
    line = SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team", team=support_team
    )
    return receive(line, "+12025550178").conversation


def call(client, name, method, data, conversation):
    url = reverse(f"inbox:{name}", args=[conversation.public_id])
    return getattr(client, method)(url, data)


@pytest.mark.parametrize(("name", "method", "data"), OWNER_ACTIONS)
def test_the_owner_and_an_admin_may_act(client, conversation, alice, admin, name, method, data):
    for user in (alice, admin):
        client.force_login(user)
        response = call(client, name, method, data, conversation)
        assert response.status_code in (200, 302), (user, name, response.status_code)
        if name == "close":
            conversation.status = "assigned"
            conversation.save(update_fields=["status"])


@pytest.mark.parametrize(("name", "method", "data"), OWNER_ACTIONS)
def test_another_agent_guessing_the_id_gets_404(client, conversation, carol, name, method, data):
    client.force_login(carol)
    assert call(client, name, method, data, conversation).status_code == 404


@pytest.mark.parametrize(("name", "method", "data"), OWNER_ACTIONS)
def test_anonymous_goes_to_login(client, conversation, name, method, data):
    response = call(client, name, method, data, conversation)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ["join", "grab", "leave", "reopen"])
def test_team_actions_are_404_for_outsiders_and_login_for_anonymous(
    client, team_conversation, carol, name
):
    assert call(client, name, "post", {}, team_conversation).status_code == 302
    client.force_login(carol)
    assert call(client, name, "post", {}, team_conversation).status_code == 404


def test_members_join_a_team_conversation(client, team_conversation, alice, bob):
    for user in (alice, bob):
        client.force_login(user)
        response = call(client, "join", "post", {}, team_conversation)
        assert response.status_code == 302
    assert team_conversation.participations.filter(joined_at__isnull=False).count() == 2


def test_an_action_that_does_not_apply_is_refused_not_performed(client, conversation, alice):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:grab", args=[conversation.public_id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert not conversation.events.exists()


def test_actions_need_a_csrf_token(conversation, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("inbox:close", args=[conversation.public_id]))
    assert response.status_code == 403
    conversation.refresh_from_db()
    assert conversation.status != "closed"


def test_actions_refuse_get(client, conversation, alice):
    client.force_login(alice)
    assert client.get(reverse("inbox:close", args=[conversation.public_id])).status_code == 405


def test_availability_is_each_agents_own(client, alice):
    assert client.post(reverse("inbox:availability"), {"available": "0"}).status_code == 302
    client.force_login(alice)
    client.post(reverse("inbox:availability"), {"available": "0"})
    alice.refresh_from_db()
    assert not alice.is_available
    response = client.post(
        reverse("inbox:availability"), {"available": "1"}, headers={"HX-Request": "true"}
    )
    alice.refresh_from_db()
    assert alice.is_available and "Available" in response.content.decode()

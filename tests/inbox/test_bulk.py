"""Bulk actions (F-IN8) and read state (F-CV6), and who may do what on every list."""

import pytest
from django.urls import reverse

from inbox.models import Conversation, ReadState

from ..conftest import receive


@pytest.fixture
def two(alice_line):
    return [receive(alice_line, f"+1202555010{i}").conversation for i in range(2)]


def post(client, action, conversations, **extra):
    data = {"action": action, "ids": [c.public_id for c in conversations], "next": "/sent/"}
    return client.post(reverse("inbox:bulk"), data | extra)


def test_marking_many_read_then_unread(client, alice, two):
    client.force_login(alice)
    assert post(client, "read", two).url == "/sent/"
    assert ReadState.objects.filter(user=alice).count() == 2
    post(client, "unread", two)
    assert not ReadState.objects.filter(user=alice).exists()


def test_closing_and_reopening_many(client, alice, two):
    client.force_login(alice)
    post(client, "close", two)
    assert set(Conversation.objects.values_list("status", flat=True)) == {"closed"}
    post(client, "reopen", two)
    assert set(Conversation.objects.values_list("status", flat=True)) == {"assigned"}


def test_an_admin_assigns_many(client, admin, bob, two):
    client.force_login(admin)
    post(client, "assign", two, assignee=bob.pk)
    assert set(Conversation.objects.values_list("owner", flat=True)) == {bob.pk}


def test_marking_for_an_agent_asks_first_then_changes_only_the_agent(client, admin, alice, two):
    client.force_login(admin)
    page = post(client, "agent_read", two, agent="alice")
    assert page.status_code == 200 and 'name="confirm" value="1"' in page.content.decode()
    assert not ReadState.objects.exists()

    post(client, "agent_read", two, agent="alice", confirm="1")
    assert ReadState.objects.filter(user=alice).count() == 2
    assert not ReadState.objects.filter(user=admin).exists()


def test_next_must_stay_on_this_site(client, alice, two):
    client.force_login(alice)
    assert post(client, "read", two, next="https://evil.example/").url == "/"


# --- permissions: admin, the owner (alice), another agent (carol), anonymous -------------

ACTIONS = [
    ("read", {}),
    ("unread", {}),
    ("close", {}),
    ("reopen", {}),
    ("assign", {"assignee": "BOB"}),
    ("agent_read", {"agent": "alice", "confirm": "1"}),
    ("agent_unread", {"agent": "alice", "confirm": "1"}),
]
ADMIN_ONLY = {"assign", "agent_read", "agent_unread"}


@pytest.mark.parametrize(("action", "extra"), ACTIONS)
@pytest.mark.parametrize("who", ["admin", "owner", "other", "anonymous"])
def test_bulk_action_permissions(client, admin, alice, bob, carol, two, who, action, extra):
    user = {"admin": admin, "owner": alice, "other": carol, "anonymous": None}[who]
    if user:
        client.force_login(user)
    extra = {k: (bob.pk if v == "BOB" else v) for k, v in extra.items()}
    response = post(client, action, two, **extra)
    if who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response.url
    elif who == "other" or (who == "owner" and action in ADMIN_ONLY):
        assert response.status_code == 404
    else:
        assert response.status_code == 302 and response.url == "/sent/"


def list_url(name, alice_line):
    return {
        "my_inbox": lambda: reverse("inbox:my_inbox"),
        "sent": lambda: reverse("inbox:sent"),
        "sender": lambda: reverse("inbox:sender_inbox", args=[alice_line.public_id]),
        "team": lambda: reverse("inbox:team_inbox"),
        "team_agent": lambda: reverse("inbox:team_agent", args=["alice"]),
    }[name]()


EXPECTED = {
    # list: (admin, owner, other, anonymous)
    "my_inbox": (200, 200, 200, 302),
    "sent": (200, 200, 200, 302),
    "sender": (200, 200, 404, 302),
    "team": (200, 404, 404, 302),
    "team_agent": (200, 404, 404, 302),
}


@pytest.mark.parametrize("name", EXPECTED)
@pytest.mark.parametrize("who", ["admin", "owner", "other", "anonymous"])
def test_list_permissions(client, admin, alice, carol, alice_line, two, who, name):
    user = {"admin": admin, "owner": alice, "other": carol, "anonymous": None}[who]
    if user:
        client.force_login(user)
    response = client.get(list_url(name, alice_line))
    expected = EXPECTED[name][["admin", "owner", "other", "anonymous"].index(who)]
    assert response.status_code == expected
    if expected == 302:
        assert "/accounts/login/" in response.url
    if who == "other" and expected == 200:
        assert not response.context["conversations"]


def test_another_agents_conversation_id_in_a_bulk_action_is_a_404(
    client, bob, alice, two, bob_line
):
    theirs = receive(bob_line, "+12025550199").conversation
    client.force_login(alice)
    assert post(client, "close", [*two, theirs]).status_code == 404
    assert not Conversation.objects.filter(status="closed").exists()


def test_the_team_inbox_only_opens_standard_users(client, admin):
    client.force_login(admin)
    assert client.get(reverse("inbox:team_agent", args=["admin"])).status_code == 404


def test_a_bulk_action_confirms_what_it_did(client, alice, two):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:bulk"),
        {"action": "close", "ids": [c.public_id for c in two], "next": "/"},
        follow=True,
    )
    assert '<p class="flash" role="status">2 closed</p>' in response.content.decode()

    Conversation.objects.filter(pk=two[0].pk).update(status="open")
    response = client.post(
        reverse("inbox:bulk"),
        {"action": "reopen", "ids": [c.public_id for c in two], "next": "/"},
        follow=True,
    )
    assert "1 reopened (1 left as they were)" in response.content.decode()


def test_an_assignment_in_bulk_says_to_whom(client, admin, bob, two):
    client.force_login(admin)
    response = client.post(
        reverse("inbox:bulk"),
        {"action": "assign", "assignee": bob.pk, "ids": [c.public_id for c in two], "next": "/"},
        follow=True,
    )
    assert "2 assigned to Bob" in response.content.decode()

"""The bot pages (F-AU5): admins build a flow step by step; nobody else sees them."""

import pytest
from django.urls import reverse

from automation.models import BotFlow
from inbox.models import Conversation, SenderId

from ..conftest import CUSTOMER, receive


def _settings(line, **extra):
    return {
        "name": "Front desk",
        "sender": str(line.pk),
        "handover_words": "agent, human",
        "handover_reply": "A person will answer shortly.",
        "misunderstood_reply": "Sorry?",
        **extra,
    }


def _step(**fields):
    return {"key": "", "kind": "message", "text": "", "answers": "", "field": "", "next": ""} | (
        fields
    )


@pytest.fixture
def built(client, admin, alice_line):
    """A bot built through the pages: a menu whose answers lead to a saved field and a
    message."""
    client.force_login(admin)
    assert client.post(reverse("automation:bot_new"), _settings(alice_line)).status_code == 302
    flow = BotFlow.objects.get()
    new_step = reverse("automation:bot_step_new", args=[flow.public_id])
    menu = _step(
        key="menu",
        kind="question",
        text="What do you need?",
        answers="Sales | buy, price -> email\nOpening hours | open -> hours",
    )
    for step in (
        menu,
        _step(key="email", kind="ask_field", text="Your e-mail?", field="email"),
        _step(key="hours", text="We open at nine.", next="menu"),
    ):
        assert client.post(new_step, step).status_code == 302
    flow.refresh_from_db()
    return flow


def test_an_agent_cannot_open_or_change_bots(client, alice, alice_line, built):
    client.force_login(alice)
    for url in (
        reverse("automation:bots"),
        reverse("automation:bot_new"),
        reverse("automation:bot", args=[built.public_id]),
        reverse("automation:bot_step", args=[built.public_id, "menu"]),
    ):
        assert client.get(url).status_code == 404
    url = reverse("automation:bot_step_delete", args=[built.public_id, "menu"])
    assert client.post(url).status_code == 404
    assert client.post(reverse("automation:bot_new"), _settings(alice_line)).status_code == 404
    assert len(BotFlow.objects.get().steps) == 3


def test_an_admin_builds_a_flow_and_switches_it_on(client, built, alice_line):
    assert built.steps[0] == {
        "key": "menu",
        "kind": "question",
        "text": "What do you need?",
        "answers": [
            {"label": "Sales", "keywords": ["buy", "price"], "next": "email"},
            {"label": "Opening hours", "keywords": ["open"], "next": "hours"},
        ],
    }
    url = reverse("automation:bot", args=[built.public_id])
    response = client.post(url, _settings(alice_line, is_active="on"))
    assert response.status_code == 302
    assert SenderId.objects.get(pk=alice_line.pk).bot_answers
    page = client.get(url).content.decode()
    assert "What do you need?<br>1. Sales<br>2. Opening hours" in page
    assert "Saved in the contact field <code>email</code>" in page


def test_a_flow_naming_a_missing_step_cannot_be_switched_on(client, built, alice_line):
    step = _step(key="hours", text="We open at nine.", next="nowhere")
    edit = reverse("automation:bot_step", args=[built.public_id, "hours"])
    assert client.post(edit, step).status_code == 302  # off: kept, and shown as missing
    url = reverse("automation:bot", args=[built.public_id])
    assert "nowhere (missing)" in client.get(url).content.decode()
    response = client.post(url, _settings(alice_line, is_active="on"))
    assert response.status_code == 422
    assert "Step hours goes on to nowhere, which does not exist." in response.content.decode()
    assert not SenderId.objects.get(pk=alice_line.pk).bot_answers


def test_a_bad_step_is_refused_with_the_reason(client, built):
    new_step = reverse("automation:bot_step_new", args=[built.public_id])
    for step, reason in (
        (_step(key="Bad Name!", text="x"), "Name the step"),
        (_step(key="menu", text="x"), "A step is already named menu"),
        (_step(key="q", kind="question", text="Which?"), "at least one answer"),
        (_step(key="f", kind="ask_field", text="Name?"), "Name the contact field"),
        (_step(key="m", text=""), "Write the message"),
    ):
        response = client.post(new_step, step)
        assert response.status_code == 422 and reason in response.content.decode()
    built.refresh_from_db()
    assert len(built.steps) == 3


def test_renaming_a_step_moves_the_branches_that_led_there(client, built):
    edit = reverse("automation:bot_step", args=[built.public_id, "email"])
    step = _step(key="address", kind="ask_field", text="Your e-mail?", field="email")
    assert client.post(edit, step).status_code == 302
    built.refresh_from_db()
    assert built.steps[0]["answers"][0]["next"] == "address"


def test_steps_move_and_go(client, built):
    move = reverse("automation:bot_step_move", args=[built.public_id, "hours"])
    assert client.post(move, {"to": "up"}).status_code == 302
    built.refresh_from_db()
    assert [s["key"] for s in built.steps] == ["menu", "hours", "email"]
    delete = reverse("automation:bot_step_delete", args=[built.public_id, "email"])
    assert client.post(delete).status_code == 302
    built.refresh_from_db()
    assert [s["key"] for s in built.steps] == ["menu", "hours"]


def test_switching_a_bot_off_hands_its_talks_over(client, built, alice_line):
    url = reverse("automation:bot", args=[built.public_id])
    client.post(url, _settings(alice_line, is_active="on"))
    conversation = receive(alice_line, CUSTOMER, "Hi").conversation
    assert Conversation.objects.get(pk=conversation.pk).with_bot
    assert client.post(url, _settings(alice_line)).status_code == 302
    conversation.refresh_from_db()
    assert not conversation.with_bot and conversation.waiting_since is not None


def test_the_bot_pages_cost_the_same_queries_however_many_steps(
    client, admin, built, django_assert_num_queries
):
    from automation.managing import bot_step_save

    def pages():
        with django_assert_num_queries(PAGE_QUERIES):
            assert client.get(reverse("automation:bots")).status_code == 200
        with django_assert_num_queries(FLOW_QUERIES):
            assert client.get(reverse("automation:bot", args=[built.public_id])).status_code == 200
        with django_assert_num_queries(STEP_QUERIES):
            step = reverse("automation:bot_step", args=[built.public_id, "menu"])
            assert client.get(step).status_code == 200

    pages()
    for i in range(30):
        bot_step_save(by=admin, flow=built, step={"key": f"s{i}", "kind": "message", "text": "x"})
    BotFlow.objects.bulk_create(
        BotFlow(name=f"b{i}", sender=SenderId.objects.create(address=f"+1415555{i:04d}"))
        for i in range(20)
    )
    pages()


PAGE_QUERIES = 4
FLOW_QUERIES = 5
STEP_QUERIES = 4


def test_the_bot_forms_need_their_csrf_token(admin, alice_line):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(reverse("automation:bot_new"), _settings(alice_line))
    assert response.status_code == 403 and not BotFlow.objects.exists()
    page = client.get(reverse("automation:bot_new")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page

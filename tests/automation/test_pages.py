"""The rules page (admins), the macros page and running a macro from the window."""

from django.urls import reverse

from automation.models import Macro, Rule
from inbox.models import ConversationEvent

from ..conftest import CUSTOMER, receive


def _rule_form(alice, **extra):
    return {
        "name": "VIP to Alice",
        "event": "message_received",
        "position": "1",
        "is_active": "on",
        "contact_label": "vip",
        "assign_user": str(alice.pk),
        "note": "VIP: be quick",
        "words_mode": "any",
        **extra,
    }


def test_an_agent_cannot_open_or_change_rules(client, alice, admin):
    client.force_login(alice)
    assert client.get(reverse("automation:rules")).status_code == 404
    response = client.post(reverse("automation:rule_new"), _rule_form(alice))
    assert response.status_code == 404 and not Rule.objects.exists()


def test_an_admin_builds_a_rule_and_sees_it_listed(client, admin, alice):
    client.force_login(admin)
    response = client.post(reverse("automation:rule_new"), _rule_form(alice))
    rule = Rule.objects.get()
    assert response.status_code == 302
    assert rule.conditions == {"contact_label": "vip"}
    assert rule.actions == [
        {"do": "assign", "user": alice.pk},
        {"do": "note", "body": "VIP: be quick"},
    ]
    page = client.get(reverse("automation:rules")).content.decode()
    assert "VIP to Alice" in page and "when the contact has the label vip" in page
    assert "assign to Alice, add the note" in page


def test_a_rule_without_actions_or_with_two_assignments_is_refused(
    client, admin, alice, support_team
):
    client.force_login(admin)
    url = reverse("automation:rule_new")
    empty = _rule_form(alice, assign_user="", note="")
    response = client.post(url, empty)
    assert response.status_code == 422 and "Choose at least one action" in response.content.decode()
    two = _rule_form(alice, round_robin=str(support_team.pk))
    assert client.post(url, two).status_code == 422
    bad = _rule_form(alice, position="-3", event="nonsense", assign_user="999999")
    assert client.post(url, bad).status_code == 422
    assert not Rule.objects.exists()


def test_trying_a_rule_on_a_past_conversation_changes_nothing(client, admin, alice, bob_line):
    client.force_login(admin)
    client.post(reverse("automation:rule_new"), _rule_form(alice, contact_label=""))
    rule = Rule.objects.get()
    conversation = receive(bob_line, CUSTOMER).conversation
    url = reverse("automation:rule_try", args=[rule.public_id])
    response = client.get(
        url, {"conversation": conversation.public_id}, headers={"HX-Request": "true"}
    )
    text = response.content.decode()
    assert "would assign to Alice, then add the note" in text
    conversation.refresh_from_db()
    assert conversation.owner_id != alice.pk
    assert not ConversationEvent.objects.filter(kind="automation").exists()
    assert client.get(url, {"conversation": "nope"}).status_code == 422


def test_the_rules_page_costs_the_same_queries_with_many_rules(
    client, admin, alice, django_assert_max_num_queries
):
    client.force_login(admin)
    Rule.objects.bulk_create(
        Rule(name=f"r{i}", event="opened", acts_as=admin, actions=[{"do": "assign", "user": 1}])
        for i in range(50)
    )
    with django_assert_max_num_queries(12):
        assert client.get(reverse("automation:rules")).status_code == 200


def test_an_agent_keeps_a_personal_macro_and_cannot_share_it(client, alice, bob):
    client.force_login(alice)
    form = {"name": "Escalate", "add_label": "urgent", "note": "Escalated", "shared": "on"}
    assert client.post(reverse("automation:macro_new"), form).status_code == 302
    macro = Macro.objects.get()
    assert macro.owner == alice  # the shared box is not hers to tick
    client.force_login(bob)
    assert "Escalate" not in client.get(reverse("automation:macros")).content.decode()
    assert client.get(reverse("automation:macro", args=[macro.public_id])).status_code == 404


def test_a_macro_runs_from_the_window_and_is_recorded(client, alice, conversation):
    macro = Macro.objects.create(
        name="Escalate",
        owner=alice,
        actions=[{"do": "add_label", "label": "urgent"}, {"do": "status", "status": "closed"}],
    )
    client.force_login(alice)
    menu = client.get(
        reverse("automation:macro_menu", args=[conversation.public_id]),
        headers={"HX-Request": "true"},
    )
    assert "Escalate" in menu.content.decode()
    url = reverse("automation:macro_run", args=[conversation.public_id, macro.public_id])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Macro Escalate added urgent, closed this" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    event = ConversationEvent.objects.get(kind="automation")
    assert event.actor == alice


def test_nobody_runs_a_macro_on_a_conversation_they_cannot_see(client, carol, alice, conversation):
    macro = Macro.objects.create(name="Close", actions=[{"do": "status", "status": "closed"}])
    client.force_login(carol)
    url = reverse("automation:macro_run", args=[conversation.public_id, macro.public_id])
    assert client.post(url).status_code == 404
    mine = Macro.objects.create(name="Mine", owner=alice, actions=[{"do": "note", "body": "x"}])
    client.force_login(carol)
    url = reverse("automation:macro_run", args=[conversation.public_id, mine.public_id])
    assert client.post(url).status_code == 404
    conversation.refresh_from_db()
    assert conversation.status != "closed"


def test_a_macro_stops_at_what_the_agent_may_not_do(client, bob, alice, conversation):
    """Bob may not assign Alice's conversation away: the macro says so and stops."""
    macro = Macro.objects.create(name="Take", actions=[{"do": "assign", "user": bob.pk}])
    client.force_login(alice)
    url = reverse("automation:macro_run", args=[conversation.public_id, macro.public_id])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "stopped" in ConversationEvent.objects.get(kind="automation").body


def test_a_nobody_answered_rule_needs_its_minutes(client, admin, alice):
    client.force_login(admin)
    url = reverse("automation:rule_new")
    form = _rule_form(alice, event="unanswered")
    response = client.post(url, form)
    assert response.status_code == 422 and "how many minutes" in response.content.decode()
    assert client.post(url, {**form, "after_minutes": "15"}).status_code == 302
    assert (
        "Nobody has answered for 15 min" in client.get(reverse("automation:rules")).content.decode()
    )


def test_the_macro_pages_and_the_webhooks_page_cost_the_same_queries_with_many_rows(
    client, admin, alice, conversation, django_assert_max_num_queries
):
    from automation.models import RuleRun, WebhookDelivery

    Macro.objects.bulk_create(
        Macro(name=f"m{i}", actions=[{"do": "note", "body": "x"}]) for i in range(40)
    )
    rule = Rule.objects.create(name="r", event="opened", acts_as=admin, actions=[])
    RuleRun.objects.bulk_create(
        RuleRun(rule=rule, conversation=conversation, event_key=str(i), outcome="ok")
        for i in range(40)
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(url="https://x.example/", payload={}, source="s", rule=rule)
        for _ in range(40)
    )
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("automation:macros")).status_code == 200
    menu = reverse("automation:macro_menu", args=[conversation.public_id])
    with django_assert_max_num_queries(10):
        assert client.get(menu, headers={"HX-Request": "true"}).status_code == 200
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("automation:webhooks")).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("automation:rule", args=[rule.public_id])).status_code == 200

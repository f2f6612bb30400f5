"""Rules act on what happens to a conversation, through the inbox's own services."""

import logging

from automation.models import Rule, RuleRun
from automation.services import rules_run
from inbox.happenings import Happening
from inbox.models import Contact, ConversationEvent, Label, Message
from inbox.services.conversation_status import conversation_set_status
from inbox.services.labels import conversations_label

from ..conftest import CUSTOMER, receive
from .conftest import run_queued, vip


def _vip_rule(make_rule, alice):
    return make_rule(
        conditions={"contact_label": "VIP"},
        actions=[{"do": "assign", "user": alice.pk}, {"do": "note", "body": "VIP: be quick"}],
    )


def _thread(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(conversation=conversation)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def test_a_vip_message_is_assigned_to_alice_with_a_note_and_the_run_is_in_the_thread(
    make_rule, deliver, alice, bob_line
):
    rule = _vip_rule(make_rule, alice)
    vip(Contact.objects.create(display_name="Vera", phone_e164=CUSTOMER))
    message = deliver(bob_line, CUSTOMER, "Where is my order?")
    conversation = message.conversation
    conversation.refresh_from_db()
    assert conversation.owner == alice
    assert "VIP: be quick" in _thread(conversation)
    assert "Rule VIP to Alice assigned this to Alice, added a note" in _thread(conversation)
    rule.refresh_from_db()
    assert (rule.runs, rule.errors) == (1, 0) and rule.last_run_at is not None


def test_a_customer_without_the_label_is_left_alone(make_rule, deliver, alice, bob_line):
    rule = _vip_rule(make_rule, alice)
    conversation = deliver(bob_line, CUSTOMER).conversation
    conversation.refresh_from_db()
    assert conversation.owner != alice
    rule.refresh_from_db()
    assert rule.runs == 0


def test_words_any_and_all(make_rule, deliver, bob_line):
    make_rule(
        "any",
        conditions={"words": "refund broken", "words_mode": "any"},
        actions=[{"do": "add_label", "label": "any"}],
    )
    make_rule(
        "all",
        conditions={"words": "refund broken", "words_mode": "all"},
        actions=[{"do": "add_label", "label": "all"}],
    )
    conversation = deliver(bob_line, CUSTOMER, "I want a REFUND.").conversation
    assert set(conversation.labels.values_list("name", flat=True)) == {"any"}
    deliver(bob_line, CUSTOMER, "It is broken, refund me")
    assert set(conversation.labels.values_list("name", flat=True)) == {"any", "all"}


def test_channel_sender_and_custom_field_conditions(make_rule, deliver, alice_line, bob_line):
    from inbox.models import ContactFieldValue, CustomField

    make_rule(
        conditions={
            "sender": alice_line.pk,
            "channel": "sms",
            "field": "plan",
            "field_value": "Gold",
        },
        actions=[{"do": "add_label", "label": "gold"}],
    )
    contact = Contact.objects.create(display_name="Gil", phone_e164=CUSTOMER)
    field = CustomField.objects.create(name="plan", label="Plan")
    ContactFieldValue.objects.create(contact=contact, field=field, value="gold")
    on_bob = deliver(bob_line, CUSTOMER).conversation
    on_alice = deliver(alice_line, CUSTOMER).conversation
    assert not on_bob.labels.exists()
    assert list(on_alice.labels.values_list("name", flat=True)) == ["gold"]


def test_rules_run_in_their_order(make_rule, deliver, alice, bob, bob_line):
    make_rule("second", position=2, actions=[{"do": "assign", "user": bob.pk}])
    make_rule("first", position=1, actions=[{"do": "assign", "user": alice.pk}])
    conversation = deliver(bob_line, CUSTOMER).conversation
    conversation.refresh_from_db()
    assert conversation.owner == bob
    lines = [b for b in _thread(conversation) if b.startswith("Rule")]
    assert lines == ["Rule first assigned this to Alice", "Rule second assigned this to Bob"]


def test_a_rule_runs_once_per_event_even_when_its_task_is_retried(make_rule, admin, conversation):
    rule = make_rule(actions=[{"do": "note", "body": "once"}])
    message = conversation.messages.get()
    for _ in range(2):
        rules_run(
            event=Happening.MESSAGE_RECEIVED,
            conversation_id=conversation.pk,
            message_id=message.pk,
            cause=(),
            event_key="k1",
        )
    assert _thread(conversation).count("once") == 1
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_a_loop_is_cut_and_logged(
    make_rule, admin, conversation, tasks, django_capture_on_commit_callbacks, caplog
):
    """Closing reopens, reopening closes: each rule runs once, then the chain stops."""
    reopen = make_rule(
        "reopen", event=Happening.CLOSED, actions=[{"do": "status", "status": "open"}]
    )
    close = make_rule(
        "close", event=Happening.REOPENED, actions=[{"do": "status", "status": "closed"}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        conversation_set_status(conversation=conversation, status="closed", by=admin)
    with caplog.at_level(logging.WARNING, logger="automation.services"):
        run_queued(tasks, django_capture_on_commit_callbacks)
    reopen.refresh_from_db()
    close.refresh_from_db()
    assert (reopen.runs, close.runs) == (1, 1)
    assert "automation loop cut: rule" in caplog.text and "reopen" in caplog.text
    conversation.refresh_from_db()
    assert conversation.status == "closed"


def test_a_rule_whose_admin_lost_the_right_errors_visibly(
    make_rule, admin, deliver, alice, bob_line
):
    rule = make_rule(actions=[{"do": "assign", "user": alice.pk}])
    admin.role = "standard"
    admin.save()
    conversation = deliver(bob_line, CUSTOMER).conversation
    rule.refresh_from_db()
    assert (rule.runs, rule.errors) == (1, 1) and "no longer an active admin" in rule.last_error
    assert any("could not act" in b for b in _thread(conversation))


def test_a_saved_reply_to_an_opted_out_customer_is_refused_like_a_persons(
    make_rule, deliver, bob_line
):
    from inbox.models import SavedReply

    reply = SavedReply.objects.create(title="Thanks", body="Thanks {{first_name}}!")
    rule = make_rule(actions=[{"do": "reply", "reply": reply.pk}])
    Contact.objects.create(display_name="Sam Doe", phone_e164=CUSTOMER)
    conversation = deliver(bob_line, CUSTOMER).conversation
    assert conversation.messages.filter(direction="out", body="Thanks Sam!").count() == 1
    deliver(bob_line, CUSTOMER, "STOP")
    rule.refresh_from_db()
    assert rule.errors == 1 and "opted out" in rule.last_error
    assert conversation.messages.filter(direction="out", author__isnull=False).count() == 1


def test_label_and_opt_out_events(
    make_rule, admin, deliver, bob_line, tasks, django_capture_on_commit_callbacks
):
    make_rule(
        "tagged",
        event=Happening.LABEL_ADDED,
        conditions={},
        actions=[{"do": "note", "body": "labelled"}],
    )
    make_rule("gone", event=Happening.OPTED_OUT, actions=[{"do": "status", "status": "closed"}])
    conversation = deliver(bob_line, CUSTOMER, "STOP").conversation
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    assert "Rule gone closed this" in _thread(conversation)
    with django_capture_on_commit_callbacks(execute=True):
        conversations_label(conversations=[conversation], by=admin, add="churn")
    run_queued(tasks, django_capture_on_commit_callbacks)
    assert "Rule tagged added a note" in _thread(conversation)


def test_an_event_no_rule_listens_to_queues_nothing(
    admin, tasks, django_capture_on_commit_callbacks, bob_line
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(bob_line, CUSTOMER)
    assert "automation.tasks.run_rules" not in tasks.names


def test_the_webhook_path_only_queues_the_rules(
    make_rule, tasks, alice, bob_line, django_capture_on_commit_callbacks
):
    _vip_rule(make_rule, alice)
    with django_capture_on_commit_callbacks(execute=True):
        message = receive(bob_line, CUSTOMER)
    assert "automation.tasks.run_rules" in tasks.names
    assert not ConversationEvent.objects.filter(kind="automation").exists()
    assert message.conversation.owner != alice


def test_evaluation_costs_the_same_queries_with_200_rules(
    make_rule, admin, alice, conversation, django_assert_num_queries
):
    message = conversation.messages.get()
    Label.objects.create(name="vip")

    def evaluate(key):
        rules_run(
            event=Happening.MESSAGE_RECEIVED,
            conversation_id=conversation.pk,
            message_id=message.pk,
            cause=(),
            event_key=key,
        )

    make_rule(
        "r0",
        conditions={"contact_label": "vip", "words": "zebra"},
        actions=[{"do": "assign", "user": alice.pk}],
    )
    with django_assert_num_queries(5):
        evaluate("one")
    Rule.objects.bulk_create(
        Rule(
            name=f"r{i}",
            event=Happening.MESSAGE_RECEIVED,
            acts_as=admin,
            conditions={"contact_label": "vip", "words": f"word{i}"},
            actions=[{"do": "note"}],
        )
        for i in range(199)
    )
    with django_assert_num_queries(5):
        evaluate("two hundred")
    assert Message.objects.count() == 1


def test_nobody_answered_for_n_minutes_acts_once_per_wait(make_rule, admin, alice_line):
    from datetime import timedelta

    from automation.models import UNANSWERED
    from automation.services import unanswered_sweep
    from inbox.models import Conversation

    rule = make_rule("chase", event=UNANSWERED, actions=[{"do": "add_label", "label": "late"}])
    Rule.objects.filter(pk=rule.pk).update(after_minutes=10)
    conversation = receive(alice_line, CUSTOMER, "Hello?").conversation
    since = Conversation.objects.get(pk=conversation.pk).waiting_since
    assert unanswered_sweep(now=since + timedelta(minutes=9)) == 0
    unanswered_sweep(now=since + timedelta(minutes=11))
    unanswered_sweep(now=since + timedelta(minutes=12))
    assert list(conversation.labels.values_list("name", flat=True)) == ["late"]
    rule.refresh_from_db()
    assert rule.runs == 1
    # Answered, then a new question: a new wait, a new run.
    new_since = since + timedelta(hours=1)
    Conversation.objects.filter(pk=conversation.pk).update(waiting_since=new_since)
    unanswered_sweep(now=new_since + timedelta(minutes=11))
    rule.refresh_from_db()
    assert rule.runs == 2
    assert unanswered_sweep(now=new_since + timedelta(hours=2)) == 0  # past the window


def test_a_waiting_state_condition(make_rule, admin, conversation):
    from datetime import timedelta

    from django.utils import timezone

    from inbox.models import Conversation

    rule = make_rule(conditions={"waiting": "overdue"}, actions=[{"do": "note", "body": "late"}])
    message = conversation.messages.get()

    def run(key):
        rules_run(event=Happening.MESSAGE_RECEIVED, conversation_id=conversation.pk,
                  message_id=message.pk, cause=(), event_key=key)  # fmt: skip

    run("fresh")  # pending: not yet
    long_ago = timezone.now() - timedelta(days=2)
    Conversation.objects.filter(pk=conversation.pk).update(
        waiting_since=long_ago, overdue_at=long_ago, soon_overdue_at=long_ago
    )
    run("late")
    rule.refresh_from_db()
    assert rule.runs == 1 and _thread(conversation).count("late") == 1


def test_a_template_goes_with_the_contacts_values_and_the_consent_check(
    make_rule, deliver, admin, wa_line, order_template
):
    from django.utils import timezone

    from inbox.models import ContactFieldValue, CustomField

    order_template.variable_fields = {"1": "name", "2": "order_id"}
    order_template.save()
    rule = make_rule(actions=[{"do": "template", "template": order_template.pk}])
    contact = Contact.objects.create(display_name="Ana", whatsapp_id=CUSTOMER)
    field = CustomField.objects.create(name="order_id")
    ContactFieldValue.objects.create(contact=contact, field=field, value="A-7")
    deliver(wa_line, f"whatsapp:{CUSTOMER}", "hi")  # no WhatsApp opt-in yet: refused
    rule.refresh_from_db()
    assert rule.errors == 1 and not Message.objects.filter(direction="out").exists()
    Contact.objects.filter(pk=contact.pk).update(whatsapp_consent_at=timezone.now())
    deliver(wa_line, f"whatsapp:{CUSTOMER}", "hello?")
    sent = Message.objects.get(direction="out")
    assert sent.body == "Hi Ana, your order A-7 is on its way."
    assert sent.content_sid == order_template.content_sid


def test_a_rule_that_finds_nothing_to_change_writes_nothing(make_rule, deliver, alice, bob_line):
    make_rule(actions=[{"do": "assign", "user": alice.pk}, {"do": "add_label", "label": "seen"}])
    conversation = deliver(bob_line, CUSTOMER).conversation
    deliver(bob_line, CUSTOMER, "and again")
    lines = [b for b in _thread(conversation) if b.startswith("Rule")]
    assert lines == ["Rule VIP to Alice assigned this to Alice, added seen"]


def test_beat_sweeps_the_waits_every_minute(settings):
    from converse.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["automation-unanswered"]
    assert entry["schedule"] <= 60 and entry["task"] in app.tasks


def test_a_conversation_gone_before_the_worker_runs_nothing(make_rule, admin):
    make_rule(actions=[{"do": "note", "body": "x"}])
    assert rules_run(event=Happening.MESSAGE_RECEIVED, conversation_id=999_999,
                     message_id=None, cause=(), event_key="gone") == []  # fmt: skip


def test_the_events_rules_listen_to_are_cached_on_redis_as_json(make_rule, shared_cache_on_redis):
    from automation.services import events_with_rules
    from automation.subscriptions import subscribed_events

    make_rule(event=Happening.CLOSED, actions=[{"do": "note", "body": "x"}])
    assert events_with_rules() == {"closed"}
    assert events_with_rules() == {"closed"}  # read back from Redis
    assert subscribed_events() == frozenset()

"""Closing and reopening conversations (F-CV5): every edge, by hand, in bulk and by the clock."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox.models import Conversation, ConversationEvent
from inbox.services.conversation_status import (
    StatusRefused,
    can_set_status,
    conversation_set_status,
    conversations_auto_close,
    conversations_set_status,
)
from inbox.tasks import auto_close_conversations

from ..conftest import receive

S = Conversation.Status


def quiet_for(conversation, **delta):
    """Pretend the customer's last message (and the wait) started ``delta`` ago."""
    at = timezone.now() - timedelta(**delta)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=at, waiting_since=at, created_at=at
    )
    conversation.refresh_from_db()
    return conversation


def status_events(conversation):
    return list(
        conversation.events.filter(kind=ConversationEvent.Kind.STATUS).values_list(
            "actor", "body", "data"
        )
    )


@pytest.mark.parametrize(
    ("current", "requested", "allowed"),
    [
        (S.OPEN, S.CLOSED, True),
        (S.ASSIGNED, S.CLOSED, True),
        (S.CLOSED, S.OPEN, True),
        (S.OPEN, S.OPEN, False),
        (S.ASSIGNED, S.OPEN, False),
        (S.CLOSED, S.CLOSED, False),
        (S.OPEN, S.ASSIGNED, False),
        (S.CLOSED, S.ASSIGNED, False),
    ],
)
def test_status_transitions(current, requested, allowed):
    assert can_set_status(current, requested) is allowed


def test_closing_records_an_event_and_stops_the_wait_and_a_new_message_reopens(
    conversation, alice, alice_line
):
    conversation_set_status(conversation=conversation, status=S.CLOSED, by=alice)
    assert conversation.status == S.CLOSED and conversation.closed_at
    assert conversation.waiting_since is None
    assert status_events(conversation) == [
        (alice.pk, "Closed", {"from": "assigned", "to": "closed"})
    ]

    receive(alice_line, "+12025550123", "One more thing")
    conversation.refresh_from_db()
    assert conversation.status == S.ASSIGNED and conversation.closed_at is None
    assert status_events(conversation)[-1] == (
        None,
        "Reopened by the customer's message",
        {"from": "closed", "to": "assigned"},
    )
    receive(alice_line, "+12025550123", "And another")  # not closed: no new event
    assert len(status_events(conversation)) == 2


def test_reopen_goes_back_to_assigned_or_open(conversation, alice):
    conversation_set_status(conversation=conversation, status=S.CLOSED, by=alice)
    conversation_set_status(conversation=conversation, status=S.OPEN, by=alice)
    assert conversation.status == S.ASSIGNED and conversation.closed_at is None
    assert status_events(conversation)[-1] == (
        alice.pk,
        "Reopened",
        {"from": "closed", "to": "assigned"},
    )
    Conversation.objects.filter(pk=conversation.pk).update(owner=None)
    conversation_set_status(conversation=conversation, status=S.CLOSED, by=alice)
    conversation_set_status(conversation=conversation, status=S.OPEN, by=alice)
    assert conversation.status == S.OPEN


@pytest.mark.parametrize(
    ("first", "refused", "message"),
    [
        (S.CLOSED, S.CLOSED, "This conversation is already closed."),
        (None, S.OPEN, "This conversation is not closed."),
    ],
)
def test_a_change_that_is_not_a_transition_is_refused_and_changes_nothing(
    conversation, alice, first, refused, message
):
    if first:
        conversation_set_status(conversation=conversation, status=first, by=alice)
    before = Conversation.objects.values("status", "changed_at").get(pk=conversation.pk)
    with pytest.raises(StatusRefused, match=message):
        conversation_set_status(conversation=conversation, status=refused, by=alice)
    assert Conversation.objects.values("status", "changed_at").get(pk=conversation.pk) == before
    assert len(status_events(conversation)) == (1 if first else 0)


def test_a_bulk_change_leaves_alone_the_conversations_it_does_not_apply_to(alice, alice_line):
    closed = receive(alice_line, "+12025550101").conversation
    conversation_set_status(conversation=closed, status=S.CLOSED, by=alice)
    open_ = receive(alice_line, "+12025550102").conversation
    changed = conversations_set_status(conversations=[closed, open_], status=S.CLOSED, by=alice)
    assert [c.pk for c in changed] == [open_.pk]
    assert ConversationEvent.objects.filter(kind=ConversationEvent.Kind.STATUS).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_closes_record_one_event(alice, alice_line):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks to race on")
    conversation = receive(alice_line, "+12025550123").conversation
    start = threading.Barrier(2)
    outcomes = []

    def close():
        start.wait()
        try:
            conversation_set_status(conversation=conversation, status=S.CLOSED, by=alice)
            outcomes.append("closed")
        except StatusRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["closed", "refused"]
    assert len(status_events(conversation)) == 1


def test_auto_close_after_a_day_without_a_customer_message(alice_line):
    quiet = quiet_for(receive(alice_line, "+12025550123").conversation, hours=25)
    recent = quiet_for(receive(alice_line, "+12025550178").conversation, hours=23)

    assert auto_close_conversations.apply().get() == 1

    quiet.refresh_from_db()
    recent.refresh_from_db()
    assert quiet.status == S.CLOSED and quiet.waiting_since is None
    assert recent.status == S.ASSIGNED
    [(actor, body, data)] = status_events(quiet)
    assert actor is None and "automatically" in body
    assert data == {"from": "assigned", "to": "closed"}
    assert conversations_auto_close() == 0  # already closed: nothing more, no second event


def test_auto_close_delay_is_a_setting(alice_line, settings):
    settings.AUTO_CLOSE_AFTER_SECONDS = 60
    conversation = quiet_for(receive(alice_line, "+12025550123").conversation, minutes=2)
    assert conversations_auto_close() == 1
    conversation.refresh_from_db()
    assert conversation.status == S.CLOSED


@pytest.mark.parametrize("office_hours", [False, True])
def test_an_outreach_to_a_customer_quiet_for_days_keeps_the_conversation_open(
    wa_line, alice, order_template, tasks, office_hours
):
    """The customer last wrote over a day (of open hours) ago: the agent's template reaches
    out, and the conversation waits a full auto-close delay for the answer instead of
    closing on the next sweep."""
    import time_machine

    from inbox.services.whatsapp_consent import whatsapp_consent_set
    from inbox.services.whatsapp_templates import whatsapp_template_send

    from .hours_support import london, set_office_hours

    quiet = timedelta(hours=25)
    if office_hours:
        set_office_hours()
        quiet = timedelta(days=8)
    sent_at = london(2026, 12, 8, 10, 0)  # a Tuesday morning
    with time_machine.travel(sent_at - quiet, tick=False):
        conversation = receive(wa_line, "+12025550123", "Hi").conversation
    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    with time_machine.travel(sent_at, tick=False):
        conversation.refresh_from_db()
        whatsapp_template_send(
            conversation=conversation,
            author=alice,
            template=order_template,
            values={"1": "Maria", "2": "A-17"},
        )

    assert conversations_auto_close(now=sent_at + timedelta(seconds=30)) == 0
    assert conversations_auto_close(now=sent_at + timedelta(hours=23)) == 0
    assert conversations_auto_close(now=sent_at + timedelta(days=7)) == 1
    conversation.refresh_from_db()
    assert conversation.status == S.CLOSED

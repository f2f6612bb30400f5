"""Closing and reopening conversations (F-CV5): every edge of the manual transitions."""

import pytest

from inbox.models import Conversation, ConversationEvent
from inbox.services.conversation_status import can_set_status, conversation_set_status

from ..conftest import receive

S = Conversation.Status


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


def test_closing_records_an_event_and_stops_the_wait(alice, alice_line):
    c = receive(alice_line, "+12025550101").conversation
    assert conversation_set_status(conversation=c, status=S.CLOSED, by=alice)
    c.refresh_from_db()
    assert c.status == S.CLOSED and c.closed_at and c.waiting_since is None
    event = ConversationEvent.objects.get(conversation=c, kind=ConversationEvent.Kind.STATUS)
    assert event.actor == alice and event.data == {"from": "assigned", "to": "closed"}


def test_reopening_an_owned_conversation_makes_it_assigned(alice, alice_line):
    c = receive(alice_line, "+12025550101").conversation
    conversation_set_status(conversation=c, status=S.CLOSED, by=alice)
    assert conversation_set_status(conversation=c, status=S.OPEN, by=alice)
    c.refresh_from_db()
    assert c.status == S.ASSIGNED and c.closed_at is None


def test_an_invalid_change_changes_nothing(alice, alice_line):
    c = receive(alice_line, "+12025550101").conversation
    assert not conversation_set_status(conversation=c, status=S.OPEN, by=alice)
    assert not ConversationEvent.objects.exists()

"""Statuses over time and waiting states (F-CV5)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Conversation, Participation
from inbox.services.service_levels import (
    WaitingState,
    rep_needed,
    service_levels_tick,
    waiting_q,
    waiting_state,
)
from inbox.tasks import service_level_tick

from ..conftest import receive


@pytest.fixture
def conversation(alice_line):
    return receive(alice_line, "+12025550123", "Hello?").conversation


def age(conversation, **delta):
    """Pretend the customer's last message (and the wait) started ``delta`` ago."""
    at = timezone.now() - timedelta(**delta)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=at, waiting_since=at, created_at=at
    )
    conversation.refresh_from_db()
    return conversation


@pytest.mark.parametrize(
    ("waited", "state"),
    [
        (timedelta(seconds=10), WaitingState.PENDING),
        (timedelta(minutes=3, seconds=1), WaitingState.SOON_OVERDUE),
        (timedelta(minutes=5, seconds=1), WaitingState.OVERDUE),
    ],
)
def test_waiting_state_follows_the_thresholds(conversation, waited, state):
    age(conversation, seconds=waited.total_seconds())
    assert waiting_state(conversation=conversation) == state
    assert Conversation.objects.filter(waiting_q(state)).get() == conversation


def test_thresholds_are_settings(conversation, settings):
    settings.SOON_OVERDUE_AFTER_SECONDS = 10
    settings.OVERDUE_AFTER_SECONDS = 20
    age(conversation, seconds=15)
    assert waiting_state(conversation=conversation) == WaitingState.SOON_OVERDUE


def test_a_reply_stops_the_wait(conversation, alice, tasks):
    from inbox.services.sending import message_send

    message_send(conversation=conversation, author=alice, body="On it")
    conversation.refresh_from_db()
    assert waiting_state(conversation=conversation) is None
    assert not Conversation.objects.filter(waiting_q(WaitingState.PENDING)).exists()


def test_rep_needed_until_someone_owns_or_joins(shared_line, admin, alice):
    conversation = receive(shared_line, "+12025550123").conversation
    Conversation.objects.filter(pk=conversation.pk).update(owner=None)
    conversation.refresh_from_db()
    assert rep_needed(conversation=conversation)
    assert Conversation.objects.filter(waiting_q(WaitingState.REP_NEEDED)).exists()
    Participation.objects.create(user=alice, conversation=conversation, joined_at=timezone.now())
    assert not rep_needed(conversation=conversation)
    assert not Conversation.objects.filter(waiting_q(WaitingState.REP_NEEDED)).exists()


def test_tick_marks_conversations_that_just_crossed_a_threshold(alice_line):
    crossing = age(receive(alice_line, "+12025550123").conversation, minutes=3, seconds=10)
    long_overdue = age(receive(alice_line, "+12025550178").conversation, minutes=30)
    before = Conversation.objects.get(pk=long_overdue.pk).changed_at

    assert service_levels_tick(period_seconds=30) == 1

    assert Conversation.objects.get(pk=crossing.pk).changed_at > crossing.changed_at
    assert Conversation.objects.get(pk=long_overdue.pk).changed_at == before
    assert service_level_tick.apply().get() == 1

"""Waiting states (F-CV5): rep needed, pending, soon overdue, overdue, from one derivation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Conversation, Participation
from inbox.waiting import WaitingState, waiting_q, waiting_state, with_participants

from ..conftest import receive

NOW = timezone.now()


@pytest.mark.parametrize(
    ("waited", "has_participant", "expected"),
    [
        (None, False, None),
        (10, False, WaitingState.REP_NEEDED),
        (10, True, WaitingState.PENDING),
        (179, True, WaitingState.PENDING),
        (180, False, WaitingState.SOON_OVERDUE),
        (299, True, WaitingState.SOON_OVERDUE),
        (300, False, WaitingState.OVERDUE),
        (9999, True, WaitingState.OVERDUE),
    ],
)
def test_the_badge_shows_the_most_urgent_state(waited, has_participant, expected):
    since = None if waited is None else NOW - timedelta(seconds=waited)
    assert waiting_state(waiting_since=since, has_participant=has_participant, now=NOW) == expected


def test_thresholds_come_from_settings(settings):
    settings.WAITING_SOON_OVERDUE_SECONDS = 10
    settings.WAITING_OVERDUE_SECONDS = 20
    since = NOW - timedelta(seconds=15)
    state = waiting_state(waiting_since=since, has_participant=True, now=NOW)
    assert state == WaitingState.SOON_OVERDUE


def test_filters_select_the_same_conversations_as_the_badge(alice, alice_line):
    fresh = receive(alice_line, "+12025550101").conversation
    answered = receive(alice_line, "+12025550102").conversation
    Participation.objects.create(user=alice, conversation=answered, last_sent_at=NOW)
    soon = receive(alice_line, "+12025550103").conversation
    late = receive(alice_line, "+12025550104").conversation
    quiet = receive(alice_line, "+12025550105").conversation
    Conversation.objects.filter(pk=soon.pk).update(waiting_since=NOW - timedelta(seconds=200))
    Conversation.objects.filter(pk=late.pk).update(waiting_since=NOW - timedelta(seconds=400))
    Conversation.objects.filter(pk=quiet.pk).update(waiting_since=None)

    def matching(state):
        qs = with_participants(Conversation.objects.all()).filter(waiting_q(state, now=NOW))
        return set(qs.values_list("pk", flat=True))

    assert matching(WaitingState.REP_NEEDED) == {fresh.pk, soon.pk, late.pk}
    assert matching(WaitingState.PENDING) == {answered.pk}
    assert matching(WaitingState.SOON_OVERDUE) == {soon.pk}
    assert matching(WaitingState.OVERDUE) == {late.pk}

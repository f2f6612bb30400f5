"""Service levels count open business hours only (F-CV5 with F-CP4)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from inbox.models import Conversation
from inbox.services.conversation_status import conversations_auto_close
from inbox.services.service_levels import service_levels_tick
from inbox.waiting import WaitingState, waiting_of, waiting_q

from ..conftest import receive
from .hours_support import london, set_office_hours

TUESDAY_NIGHT = london(2026, 12, 8, 23, 0)
WEDNESDAY_OPENING = london(2026, 12, 9, 9, 0)


@pytest.fixture
def late(alice_line, admin):
    """A customer who wrote at 23:00, long after closing."""
    set_office_hours()
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        return receive(alice_line, "+12025550123", "Are you there?").conversation


def state_at(conversation, at):
    conversation.refresh_from_db()
    return waiting_of(conversation=conversation, anyone_joined=False, now=at)


def listed(state, at) -> set[int]:
    return set(Conversation.objects.filter(waiting_q(state, now=at)).values_list("pk", flat=True))


def test_a_customer_writing_at_night_is_not_overdue_at_2306(late):
    night = state_at(late, TUESDAY_NIGHT + timedelta(minutes=6))
    assert night.state == WaitingState.PENDING and night.after_hours
    assert listed(WaitingState.OVERDUE, TUESDAY_NIGHT + timedelta(minutes=6)) == set()


def test_the_wait_counts_from_opening(late):
    soon = WEDNESDAY_OPENING + timedelta(minutes=3)
    overdue = WEDNESDAY_OPENING + timedelta(minutes=5)
    assert state_at(late, soon - timedelta(seconds=1)).state == WaitingState.PENDING
    assert not state_at(late, WEDNESDAY_OPENING).after_hours
    assert state_at(late, soon).state == WaitingState.SOON_OVERDUE
    assert listed(WaitingState.SOON_OVERDUE, soon) == {late.pk}
    assert state_at(late, overdue).state == WaitingState.OVERDUE
    assert listed(WaitingState.OVERDUE, overdue) == {late.pk}
    assert listed(WaitingState.SOON_OVERDUE, overdue) == set()


def test_the_list_shows_after_hours_while_closed(client, alice, late):
    client.force_login(alice)
    with time_machine.travel(TUESDAY_NIGHT + timedelta(minutes=30), tick=False):
        html = client.get(reverse("inbox:my_inbox")).content.decode()
    assert ">After hours</span>" in html
    with time_machine.travel(WEDNESDAY_OPENING + timedelta(minutes=10), tick=False):
        html = client.get(reverse("inbox:my_inbox")).content.decode()
    assert ">After hours</span>" not in html and ">Overdue</span>" in html


def test_the_tick_redraws_at_opening_and_at_each_threshold(late):
    for at in (WEDNESDAY_OPENING, WEDNESDAY_OPENING + timedelta(minutes=3)):
        assert service_levels_tick(period_seconds=30, now=at + timedelta(seconds=10)) == 1
    assert service_levels_tick(period_seconds=30, now=TUESDAY_NIGHT + timedelta(minutes=5)) == 0


def test_auto_close_counts_open_hours(late, settings):
    # 24 open hours from Tuesday 23:00: the office is open 8 h a day, so they are up at
    # Friday's closing, not on Wednesday night.
    assert conversations_auto_close(now=london(2026, 12, 9, 23, 30)) == 0
    assert conversations_auto_close(now=london(2026, 12, 11, 17, 59)) == 0
    assert conversations_auto_close(now=london(2026, 12, 11, 18, 0)) == 1


def test_without_business_hours_the_clock_is_the_wall_clock(alice_line, admin):
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        conversation = receive(alice_line, "+12025550123").conversation
    assert state_at(conversation, TUESDAY_NIGHT + timedelta(minutes=6)).state == (
        WaitingState.OVERDUE
    )

"""Per-sender send rate: sends are spaced by their segments, never refused for rate."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from inbox.models import Message
from inbox.services.sending import message_send

from ..conftest import receive


@pytest.fixture(autouse=True)
def fixed_clock():
    """Slots are counted from the clock: with a fixed one the countdowns are exact however
    long each send takes on a busy machine."""
    with time_machine.travel(timezone.now(), tick=False):
        yield


@pytest.fixture
def send(alice, django_capture_on_commit_callbacks):
    def send(conversation, body="Hello") -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            return message_send(conversation=conversation, author=alice, body=body)

    return send


def test_sends_from_one_sender_are_spaced_one_segment_per_second(alice_line, tasks, send):
    conversation = receive(alice_line, "+12025550123").conversation

    send(conversation)
    send(conversation, "x" * 200)  # two segments
    send(conversation)

    countdowns = [q.countdown for q in tasks.queued]
    assert countdowns[0] == pytest.approx(0, abs=0.2)
    assert countdowns[1] == pytest.approx(1, abs=0.2)
    assert countdowns[2] == pytest.approx(3, abs=0.2)  # after the two-segment message
    assert Message.objects.filter(scheduled_for__isnull=False).count() == 2


def test_the_rate_is_set_per_sender_id(alice_line, tasks, send):
    alice_line.rate_per_second = Decimal("10")
    alice_line.save()
    conversation = receive(alice_line, "+12025550123").conversation

    for _ in range(3):
        send(conversation)

    assert [round(q.countdown, 1) for q in tasks.queued] == [0, 0.1, 0.2]


def test_senders_do_not_wait_for_each_other(alice, alice_line, shared_line, tasks, send):
    first = receive(alice_line, "+12025550123").conversation
    second = receive(shared_line, "+12025550124").conversation
    send(first)
    send(first)

    send(second)

    assert tasks.queued[-1].countdown == pytest.approx(0, abs=0.2)

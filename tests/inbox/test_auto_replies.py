"""Automatic replies (F-AU2): out of hours once per closed period, and a first greeting."""

import pytest
import time_machine

from inbox.models import AutoKind, AutoReplyMode, Conversation, Message, MessageDirection

from ..conftest import receive
from .hours_support import london, set_office_hours

REPLY = "We're closed; we open {{opens_at}}."


@pytest.fixture
def office(admin):
    return set_office_hours(out_of_hours_reply=REPLY, greeting="Welcome to Acme!")


def automatic(conversation) -> list[tuple[str, str]]:
    return list(
        Message.objects.filter(conversation=conversation, direction=MessageDirection.OUTBOUND)
        .order_by("pk")
        .values_list("auto_kind", "body")
    )


def write(sender, body="Hello", *, at, customer="+12025550123"):
    with time_machine.travel(at, tick=False):
        return receive(sender, customer, body).conversation


def test_a_customer_writing_after_closing_hears_when_we_open(office, alice_line, tasks):
    conversation = write(alice_line, at=london(2026, 12, 4, 18, 30))
    # A first contact while closed: the greeting and the out-of-hours reply in one message,
    # one send instead of two billable ones.
    assert automatic(conversation) == [
        (AutoKind.OUT_OF_HOURS, "Welcome to Acme!\n\nWe're closed; we open Monday 09:00."),
    ]
    reply = Message.objects.get(auto_kind=AutoKind.OUT_OF_HOURS)
    assert reply.author is None
    # Not an agent's answer: the customer still waits.
    assert Conversation.objects.get(pk=conversation.pk).waiting_since is not None


def test_once_per_closed_period(office, alice_line, tasks):
    conversation = write(alice_line, at=london(2026, 12, 4, 18, 30))
    write(alice_line, "Anyone?", at=london(2026, 12, 5, 10, 0))
    assert [k for k, _ in automatic(conversation)].count(AutoKind.OUT_OF_HOURS) == 1
    write(alice_line, "Still there?", at=london(2026, 12, 7, 10, 0))  # open: no reply
    write(alice_line, "Lunch?", at=london(2026, 12, 7, 12, 45))  # the next closed period
    replies = [b for k, b in automatic(conversation) if k == AutoKind.OUT_OF_HOURS]
    assert replies == [
        "Welcome to Acme!\n\nWe're closed; we open Monday 09:00.",  # the first contact's
        "We're closed; we open Monday 13:30.",
    ]


def test_opens_at_is_in_the_sender_ids_time_zone(office, alice_line, tasks):
    alice_line.hours = "own"
    alice_line.hours_time_zone = "America/New_York"
    alice_line.opening_hours = {str(d): [["09:00", "17:00"]] for d in range(5)}
    alice_line.save()
    conversation = write(alice_line, at=london(2026, 12, 4, 23, 0))  # 18:00 in New York
    [(kind, body)] = automatic(conversation)
    assert kind == AutoKind.OUT_OF_HOURS and body.endswith("We're closed; we open Monday 09:00.")


def test_no_greeting_for_a_returning_customer_and_none_while_open(office, alice_line, tasks):
    first = write(alice_line, at=london(2026, 12, 7, 10, 0))
    assert automatic(first) == [(AutoKind.GREETING, "Welcome to Acme!")]
    write(alice_line, "Again", at=london(2026, 12, 7, 11, 0))
    assert len(automatic(first)) == 1


def test_never_to_an_opted_out_customer_nor_in_answer_to_a_keyword(office, alice_line, tasks):
    conversation = write(alice_line, "STOP", at=london(2026, 12, 4, 18, 30))
    write(alice_line, "hello?", at=london(2026, 12, 4, 19, 0))
    assert automatic(conversation) == []


def test_a_sender_id_may_turn_them_off_or_use_its_own(office, alice_line, bob_line, tasks):
    alice_line.auto_replies = AutoReplyMode.OFF
    alice_line.save()
    bob_line.auto_replies = AutoReplyMode.OWN
    bob_line.out_of_hours_reply = "Bob's line opens {{opens_at}}"
    bob_line.save()
    quiet = write(alice_line, at=london(2026, 12, 4, 18, 30))
    own = write(bob_line, at=london(2026, 12, 4, 18, 30), customer="+12025550178")
    assert automatic(quiet) == []
    assert automatic(own) == [(AutoKind.OUT_OF_HOURS, "Bob's line opens Monday 09:00")]


def test_the_thread_marks_them_automatic(client, office, alice, alice_line, tasks):
    closed = write(alice_line, at=london(2026, 12, 4, 18, 30))
    opened = write(alice_line, at=london(2026, 12, 7, 10, 0), customer="+12025550178")
    client.force_login(alice)
    html = client.get(f"/c/{closed.public_id}/").content.decode()
    assert "Automatic · Out-of-hours reply" in html
    html = client.get(f"/c/{opened.public_id}/").content.decode()
    assert "Automatic · Greeting" in html

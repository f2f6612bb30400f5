"""Status callbacks (F-CV4): forward only; late, repeated and unknown ones are harmless."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Conversation, EarlyStatus, Message, MessageDirection, MessageStatus
from inbox.services import status as status_service
from inbox.services.sending import message_send
from inbox.tasks import forget_early_statuses

from ..conftest import receive
from .conftest import payload

SID = "SMfeedfacefeedfacefeedfacefeedface"


@pytest.fixture
def sent_message(alice, alice_line) -> Message:
    conversation = receive(alice_line, "+12025550123").conversation
    return Message.objects.create(
        conversation=conversation,
        direction=MessageDirection.OUTBOUND,
        author=alice,
        body="Your order ships today",
        status=MessageStatus.QUEUED,
        channel="sms",
        provider_sid=SID,
    )


def status(name: str, word: str) -> dict[str, str]:
    return payload(name, MessageStatus=word, SmsStatus=word)


def test_a_delivered_callback_moves_the_message_to_delivered(post_webhook, sent_message):
    response = post_webhook("status", payload("status_delivered"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.DELIVERED
    assert sent_message.sent_at and sent_message.delivered_at


def test_a_late_sent_callback_does_not_move_delivered_back(post_webhook, sent_message):
    post_webhook("status", payload("status_delivered"))
    response = post_webhook("status", status("status_delivered", "sent"))

    assert response.status_code == 200
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.DELIVERED


def test_a_repeated_callback_changes_nothing(post_webhook, sent_message):
    post_webhook("status", payload("status_delivered"))
    sent_message.refresh_from_db()
    delivered_at = sent_message.delivered_at

    assert post_webhook("status", payload("status_delivered")).status_code == 200
    sent_message.refresh_from_db()
    assert sent_message.delivered_at == delivered_at


def test_undelivered_shows_the_providers_reason_in_plain_words(post_webhook, sent_message):
    post_webhook("status", status("status_undelivered", "sent"))
    post_webhook("status", payload("status_undelivered"))

    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.UNDELIVERED
    assert sent_message.error_code == "30003"
    assert "unreachable" in sent_message.error_reason


def test_undelivered_after_delivered_does_not_regress(post_webhook, sent_message):
    post_webhook("status", payload("status_delivered"))
    post_webhook("status", payload("status_undelivered"))

    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.DELIVERED
    assert sent_message.error_code == ""


def test_a_callback_for_an_unknown_sid_is_answered_without_error(post_webhook, alice_line):
    response = post_webhook("status", payload("status_delivered", MessageSid="SMunknown"))

    assert response.status_code == 200
    assert not Message.objects.exists()


def test_a_status_callback_bumps_the_thread_for_live_refresh(post_webhook, sent_message):
    before = Conversation.objects.get().changed_at

    post_webhook("status", payload("status_delivered"))

    assert Conversation.objects.get().changed_at > before


@pytest.fixture
def send_later(alice, alice_line, fake_twilio, tasks, django_capture_on_commit_callbacks):
    """A message saved and queued; Twilio will give it ``SID`` once the worker sends it."""
    conversation = receive(alice_line, "+12025550123").conversation
    fake_twilio.next_sids.append(SID)
    with django_capture_on_commit_callbacks(execute=True):
        return message_send(conversation=conversation, author=alice, body="Your order ships")


def test_a_failed_callback_that_comes_before_the_sid_is_stored_fails_the_message(
    post_webhook, send_later, worker
):
    early = post_webhook("status", status("status_undelivered", "failed"))
    assert early.status_code == 200
    send_later.refresh_from_db()
    assert send_later.status == MessageStatus.QUEUED

    worker.run()

    send_later.refresh_from_db()
    assert send_later.provider_sid == SID
    assert send_later.status == MessageStatus.FAILED
    assert send_later.error_code == "30003"
    assert "unreachable" in send_later.error_reason
    assert not EarlyStatus.objects.exists()


def test_early_callbacks_out_of_order_end_on_the_furthest_status(post_webhook, send_later, worker):
    post_webhook("status", payload("status_delivered"))
    post_webhook("status", status("status_delivered", "sent"))
    post_webhook("status", payload("status_undelivered"))  # after delivered: changes nothing

    worker.run()

    send_later.refresh_from_db()
    assert send_later.status == MessageStatus.DELIVERED
    assert send_later.sent_at and send_later.delivered_at
    assert send_later.error_code == ""


def test_early_sent_then_undelivered_end_undelivered(post_webhook, send_later, worker):
    post_webhook("status", status("status_delivered", "sent"))
    post_webhook("status", payload("status_undelivered"))

    worker.run()

    send_later.refresh_from_db()
    assert send_later.status == MessageStatus.UNDELIVERED
    assert send_later.sent_at is not None


def test_a_callback_kept_while_the_sid_was_being_stored_is_applied_by_the_callback(
    post_webhook, sent_message, monkeypatch
):
    """The sender stored the SID just after the callback looked for it, and looked for kept
    callbacks just before this one was kept: the callback's second look applies it."""
    looks = iter([None])
    real = status_service._message_with_sid
    monkeypatch.setattr(status_service, "_message_with_sid", lambda *a: next(looks, real(*a)))

    post_webhook("status", payload("status_delivered"))

    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.DELIVERED
    assert not EarlyStatus.objects.exists()


def test_callbacks_for_sids_never_stored_are_forgotten_after_a_day(post_webhook, alice_line):
    post_webhook("status", payload("status_delivered", MessageSid="SMnotours"))
    assert forget_early_statuses() == 0

    EarlyStatus.objects.update(received_at=timezone.now() - timedelta(days=1, minutes=1))

    assert forget_early_statuses() == 1
    assert not EarlyStatus.objects.exists()

"""Status callbacks (F-CV4): forward only; late, repeated and unknown ones are harmless."""

import pytest

from inbox.models import Conversation, Message, MessageDirection, MessageStatus

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

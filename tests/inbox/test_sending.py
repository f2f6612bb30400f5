"""Outbound sends: saved first, sent once, refused with a reason when they must not go."""

import pytest
from django.db import connection

from inbox.access import conversation_for
from inbox.channels import SendError
from inbox.models import Contact, Message, MessageStatus, Participation
from inbox.services.sending import SendRefused, message_dispatch, message_send
from inbox.tasks import MAX_SEND_RETRIES, deliver_message

from ..conftest import receive
from ..factories import ConversationFactory


@pytest.fixture
def conversation(alice_line):
    return ConversationFactory(contact__phone_e164="+12025550123", sender_id=alice_line)


def test_a_send_is_saved_queued_and_enqueued_only_after_commit(
    alice, conversation, tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        message = message_send(conversation=conversation, author=alice, body="Hello")
        assert tasks.names == []
    for callback in callbacks:
        callback()
    assert tasks.names == ["inbox.tasks.deliver_message"]
    assert message.status == MessageStatus.QUEUED
    conversation.refresh_from_db()
    assert conversation.last_message_preview == "Hello"
    assert conversation.last_sender == alice
    assert Participation.objects.get(user=alice, conversation=conversation).last_sent_at


def test_the_same_idempotency_key_sends_once(
    alice, conversation, tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = message_send(
            conversation=conversation, author=alice, body="Hi", idempotency_key="k1"
        )
        second = message_send(
            conversation=conversation, author=alice, body="Hi", idempotency_key="k1"
        )
    assert first == second
    assert Message.objects.count() == 1
    assert tasks.names == ["inbox.tasks.deliver_message"]


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_one_transaction_of_nine_statements_with_the_hours(
    alice, alice_line, tasks, django_assert_num_queries
):
    conversation = receive(alice_line, "+12025550123").conversation
    conversation = conversation_for(alice, conversation.public_id)  # as the compose view has it
    # BEGIN; the message, the thread summary, the contact's last activity, the participation
    # upsert, the business hours (the organisation's: off), the sender ID's send slot (lock,
    # move on), the report's two tallies; COMMIT. A fresh idempotency key needs no look-up.
    # Then, once committed, the live event in a short transaction of its own (BEGIN, INSERT,
    # COMMIT; PostgreSQL takes the log's lock too).
    live_event = 4 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(11 + live_event):
        message = message_send(
            conversation=conversation, author=alice, body="Hello", idempotency_key="k5"
        )
    assert tasks.names == ["inbox.tasks.deliver_message"]
    assert Message.objects.get(idempotency_key="k5") == message


def test_a_form_resubmitted_after_the_customer_opted_out_returns_the_first_send(
    alice, conversation, tasks, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        first = message_send(
            conversation=conversation, author=alice, body="Hi", idempotency_key="k2"
        )
    Contact.objects.filter(pk=conversation.contact_id).update(sms_opted_out_at=timezone.now())
    conversation.refresh_from_db()

    again = message_send(conversation=conversation, author=alice, body="Hi", idempotency_key="k2")

    assert again == first
    assert tasks.names == ["inbox.tasks.deliver_message"]
    with pytest.raises(SendRefused, match="opted out"):
        message_send(conversation=conversation, author=alice, body="Hi", idempotency_key="k3")


@pytest.mark.parametrize("body", ["", "   ", "x" * 1601])
def test_empty_or_oversized_bodies_are_refused(alice, conversation, body):
    with pytest.raises(SendRefused):
        message_send(conversation=conversation, author=alice, body=body)
    assert not Message.objects.exists()


def test_an_opted_out_customer_is_refused_before_anything_is_saved(alice, conversation):
    from django.utils import timezone

    Contact.objects.filter(pk=conversation.contact_id).update(sms_opted_out_at=timezone.now())
    conversation.refresh_from_db()
    with pytest.raises(SendRefused, match="opted out"):
        message_send(conversation=conversation, author=alice, body="Hi")
    assert not Message.objects.exists()


def test_an_agent_without_access_cannot_send(carol, conversation):
    with pytest.raises(SendRefused):
        message_send(conversation=conversation, author=carol, body="Hi")


def test_a_dispatch_claims_once_so_a_repeated_task_never_sends_twice(
    alice, conversation, monkeypatch
):
    sends = []

    class Recorder:
        def send(self, message):
            from inbox.channels import SendResult

            sends.append(message.pk)
            return SendResult(provider_sid=f"SM{len(sends):032d}")

    monkeypatch.setattr("inbox.services.sending.adapter_for", lambda channel: Recorder())
    message = message_send(conversation=conversation, author=alice, body="Once")
    assert message_dispatch(message_id=message.pk).sent
    assert not message_dispatch(message_id=message.pk).sent
    assert sends == [message.pk]


def test_a_transient_error_retries_and_then_sends(alice, conversation, monkeypatch):
    answers = [SendError("500", "server error", transient=True), None]

    class Flaky:
        def send(self, message):
            from inbox.channels import SendResult

            answer = answers.pop(0)
            if answer:
                raise answer
            return SendResult(provider_sid="SM" + "9" * 32)

    monkeypatch.setattr("inbox.services.sending.adapter_for", lambda channel: Flaky())
    message = message_send(conversation=conversation, author=alice, body="Retry me")
    deliver_message.apply(args=[message.pk], throw=False).get()
    message.refresh_from_db()
    assert message.provider_sid == "SM" + "9" * 32
    assert message.attempts == 2


def test_a_transient_error_that_never_clears_fails_with_the_reason(
    alice, conversation, monkeypatch
):
    class Down:
        def send(self, message):
            raise SendError("timeout", transient=True)

    monkeypatch.setattr("inbox.services.sending.adapter_for", lambda channel: Down())
    message = message_send(conversation=conversation, author=alice, body="Never")
    # The last allowed retry, as a worker would run it after the earlier ones failed.
    deliver_message.apply(args=[message.pk], retries=MAX_SEND_RETRIES, throw=False).get()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "timeout"
    assert "did not answer" in message.error_reason


def test_an_idempotency_key_from_another_conversation_is_refused(alice, conversation, alice_line):
    first = message_send(conversation=conversation, author=alice, body="Hi", idempotency_key="k9")
    other = ConversationFactory(contact__phone_e164="+12025550178", sender_id=alice_line)
    with pytest.raises(SendRefused, match="already used"):
        message_send(conversation=other, author=alice, body="Hi", idempotency_key="k9")
    assert list(Message.objects.all()) == [first]

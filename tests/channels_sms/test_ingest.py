"""Inbound ingest (F-OP1): the webhook stores the payload and answers; a worker routes it.

Nothing is lost (a broker that is down, a worker that dies: the sweep queues it again) and
nothing is doubled (duplicates and re-run tasks store one message).
"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from channels_sms.ingest import MAX_ATTEMPTS
from channels_sms.models import InboundWebhook
from channels_sms.tasks import ingest_inbound, requeue_unprocessed_webhooks
from inbox.models import Contact, Conversation, Message

from .conftest import payload

INGEST = "channels_sms.tasks.ingest_inbound"


def sms(sid: str, body: str = "Hello", **changes: str) -> dict[str, str]:
    return payload(
        "inbound_sms", MessageSid=sid, SmsSid=sid, SmsMessageSid=sid, Body=body, **changes
    )


def age(minutes: float) -> None:
    """Make every stored payload older, as if Twilio had posted it ``minutes`` ago."""
    InboundWebhook.objects.update(received_at=timezone.now() - timedelta(minutes=minutes))


def test_the_webhook_stores_the_payload_and_a_worker_makes_the_message(
    post_webhook, ingest, tasks, alice, alice_line
):
    response = post_webhook("messages", sms("SM1", "Is my order shipped?"))

    assert response.status_code == 200
    webhook = InboundWebhook.objects.get()
    assert (webhook.channel, webhook.message_sid, webhook.processed_at) == ("sms", "SM1", None)
    assert not Message.objects.exists()
    assert tasks.names == [INGEST]

    ingest()

    message = Message.objects.get()
    assert message.body == "Is my order shipped?"
    assert message.conversation.owner == alice
    assert message.created_at == webhook.received_at  # when Twilio posted it
    webhook.refresh_from_db()
    assert webhook.processed_at is not None
    assert webhook.outcome == InboundWebhook.Outcome.STORED


def test_a_redelivery_after_processing_queues_nothing_and_stores_nothing(
    post_webhook, ingest, tasks, alice_line
):
    post_webhook("messages", sms("SM1"))
    ingest()

    assert post_webhook("messages", sms("SM1")).status_code == 200
    assert tasks.queued == []
    assert Message.objects.count() == InboundWebhook.objects.count() == 1


def test_a_task_run_twice_stores_once(post_webhook, alice_line, tasks):
    post_webhook("messages", sms("SM1"))
    webhook_id = InboundWebhook.objects.get().pk

    ingest_inbound.apply(args=[webhook_id])
    ingest_inbound.apply(args=[webhook_id])

    assert Message.objects.count() == 1
    assert InboundWebhook.objects.get().attempts == 1


def test_a_worker_that_died_after_storing_the_message_is_not_stored_again(
    post_webhook, ingest, alice_line
):
    post_webhook("messages", sms("SM1"))
    ingest()
    # As if the worker died between storing the message and marking the payload.
    InboundWebhook.objects.update(processed_at=None, outcome="")
    age(minutes=2)

    assert requeue_unprocessed_webhooks() == 1
    ingest()

    assert Message.objects.count() == 1
    assert InboundWebhook.objects.get().outcome == InboundWebhook.Outcome.DUPLICATE


def test_a_payload_stored_while_the_broker_is_down_is_processed_by_the_sweep(
    post_webhook, ingest, tasks, alice_line, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as broken, caplog.at_level(logging.WARNING):
        broken.setattr(ingest_inbound, "apply_async", broker_down)
        response = post_webhook("messages", sms("SM1", "Still there?"))

    assert response.status_code == 200
    assert "stored but not queued" in caplog.text
    assert tasks.queued == [] and not Message.objects.exists()
    assert requeue_unprocessed_webhooks() == 0  # too recent: its task may be on its way

    age(minutes=2)
    assert requeue_unprocessed_webhooks() == 1
    ingest()

    assert Message.objects.get().body == "Still there?"
    assert requeue_unprocessed_webhooks() == 0


def test_a_payload_that_keeps_failing_is_left_for_a_person_and_logged(
    post_webhook, alice_line, tasks, caplog
):
    post_webhook("messages", sms("SM1"))
    InboundWebhook.objects.update(attempts=MAX_ATTEMPTS)
    age(minutes=2)

    with caplog.at_level(logging.ERROR, logger="channels_sms.ingest"):
        assert requeue_unprocessed_webhooks() == 0

    assert f"1 inbound webhooks failed {MAX_ATTEMPTS} times" in caplog.text


def test_messages_stored_out_of_order_read_in_the_order_they_were_written(
    post_webhook, tasks, alice, alice_line
):
    post_webhook("messages", sms("SM1", "First"))
    post_webhook("messages", sms("SM2", "Second"))
    first, second = tasks.queued
    tasks.queued = [second, first]  # the second one's worker was faster

    tasks.run_all()

    conversation = Conversation.objects.get()
    thread = conversation.messages.order_by("created_at", "id")
    assert [m.body for m in thread] == ["First", "Second"]
    assert conversation.last_message_preview == "Second"
    assert conversation.waiting_since == thread[0].created_at


def test_a_late_stop_does_not_undo_a_start_written_after_it(post_webhook, tasks, alice_line):
    post_webhook("messages", sms("SM1", "STOP"))
    post_webhook("messages", sms("SM2", "START"))
    stop, start = tasks.queued
    tasks.queued = [start, stop]

    tasks.run_all()

    assert Contact.objects.get().sms_opted_out_at is None
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("customer", "line"),
    [("+12025550123", "+14155559999"), ("whatsapp:+12025550123", "whatsapp:+14155559999")],
)
def test_a_message_for_a_number_that_is_not_ours_is_settled_without_a_message(
    post_webhook, ingest, alice_line, customer, line
):
    post_webhook("messages", sms("SM1", From=customer, To=line))
    ingest()

    assert not Message.objects.exists()
    assert InboundWebhook.objects.get().processed_at is not None
    age(minutes=2)
    assert requeue_unprocessed_webhooks() == 0

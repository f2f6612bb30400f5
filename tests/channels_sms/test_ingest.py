"""Inbound ingest (F-OP1): the webhook stores the payload and answers; a worker routes it.

Nothing is lost (a broker that is down, a worker that dies: the sweep queues a drain) and
nothing is doubled (duplicates and drains run twice store one message).
"""

import logging
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from channels_twilio import ingest as ingest_module
from channels_twilio import tasks as sms_tasks
from channels_twilio.ingest import MAX_ATTEMPTS
from channels_twilio.models import InboundWebhook
from channels_twilio.tasks import (
    forget_processed_webhooks,
    ingest_inbound,
    requeue_unprocessed_webhooks,
)
from inbox.models import Message

from .conftest import payload

INGEST = "channels_twilio.tasks.ingest_inbound"


def sms(sid: str, body: str = "Hello", **changes: str) -> dict[str, str]:
    ids = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid}
    return payload("inbound_sms", Body=body, **ids, **changes)


def age(minutes: float) -> None:
    """Make every stored payload older, as if Twilio had posted it (and any worker had taken
    it) ``minutes`` ago."""
    earlier = timedelta(minutes=minutes)
    InboundWebhook.objects.update(received_at=F("received_at") - earlier)
    InboundWebhook.objects.filter(claimed_at__isnull=False).update(
        claimed_at=F("claimed_at") - earlier
    )


def test_the_webhook_stores_the_payload_and_a_worker_makes_the_message(
    post_webhook, ingest, tasks, alice, alice_line
):
    response = post_webhook("messages", sms("SM1", "Is my order shipped?"))

    assert response.status_code == 200
    webhook = InboundWebhook.objects.get()
    assert (webhook.channel, webhook.message_sid, webhook.processed_at) == ("sms", "SM1", None)
    assert "Body=Is+my+order+shipped%3F" in webhook.payload
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


def test_a_drain_run_twice_stores_once(post_webhook, alice_line, tasks):
    post_webhook("messages", sms("SM1"))
    post_webhook("messages", sms("SM2"))

    assert ingest_inbound.apply().get() == 2
    assert ingest_inbound.apply().get() == 0

    assert Message.objects.count() == 2
    assert list(InboundWebhook.objects.values_list("attempts", flat=True)) == [1, 1]


def test_a_payload_routed_again_after_its_worker_died_is_not_stored_twice(
    post_webhook, ingest, alice_line
):
    post_webhook("messages", sms("SM1"))
    ingest()
    # As if the message had been stored but the payload not marked: routing runs again.
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
    assert "stored but no drain queued" in caplog.text
    assert tasks.queued == [] and not Message.objects.exists()
    assert requeue_unprocessed_webhooks() == 0  # too recent: its drain may be on its way

    age(minutes=2)
    assert requeue_unprocessed_webhooks() == 1
    ingest()

    assert Message.objects.get().body == "Still there?"
    assert requeue_unprocessed_webhooks() == 0


def test_a_payload_whose_routing_fails_does_not_hold_up_the_others_and_is_retried(
    post_webhook, alice_line, tasks, monkeypatch
):
    post_webhook("messages", sms("SM1", "Breaks routing"))
    post_webhook("messages", sms("SM2", "Fine"))
    route = ingest_module._route

    def fails_on_sm1(webhook):
        if webhook.message_sid == "SM1":
            raise RuntimeError("a bug")
        return route(webhook)

    with monkeypatch.context() as broken:
        broken.setattr(ingest_module, "_route", fails_on_sm1)
        assert ingest_inbound.apply().get() == 1

    assert list(Message.objects.values_list("body", flat=True)) == ["Fine"]
    assert InboundWebhook.objects.get(message_sid="SM1").attempts == 1
    assert ingest_inbound.apply().get() == 1  # the bug is fixed
    assert Message.objects.count() == 2


def test_a_payload_that_failed_too_often_is_left_for_a_person_and_logged(
    post_webhook, alice_line, tasks, caplog
):
    post_webhook("messages", sms("SM1"))
    InboundWebhook.objects.update(attempts=MAX_ATTEMPTS)
    age(minutes=2)

    with caplog.at_level(logging.ERROR, logger="channels_twilio.ingest"):
        assert requeue_unprocessed_webhooks() == 0

    assert f"1 inbound webhooks failed {MAX_ATTEMPTS} times" in caplog.text
    assert ingest_inbound.apply().get() == 0
    assert not Message.objects.exists()


def test_a_busy_web_process_queues_one_drain_per_window(
    post_webhook, ingest, tasks, alice_line, monkeypatch
):
    monkeypatch.setattr(sms_tasks, "WAKE_WINDOW", 60)
    monkeypatch.setattr(sms_tasks.wake_ingest.__self__, "last", float("-inf"))

    for n in range(3):
        post_webhook("messages", sms(f"SM{n}"))

    assert [q.countdown for q in tasks.queued] == [60]  # runs once the window has closed
    assert ingest() == 1
    assert Message.objects.count() == 3


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


def test_processed_payloads_are_deleted_after_a_week_and_their_messages_stay(
    post_webhook, ingest, alice_line
):
    post_webhook("messages", sms("SM1"))
    post_webhook("messages", sms("SM2"))
    ingest()
    InboundWebhook.objects.filter(message_sid="SM1").update(
        processed_at=timezone.now() - timedelta(days=7, minutes=1)
    )

    assert forget_processed_webhooks() == 1

    assert list(InboundWebhook.objects.values_list("message_sid", flat=True)) == ["SM2"]
    assert Message.objects.count() == 2


def test_a_payload_that_kills_its_worker_holds_up_nothing_and_is_given_up_in_the_end(
    post_webhook, alice_line, tasks
):
    post_webhook("messages", sms("SM1", "Kills the worker"))
    post_webhook("messages", sms("SM2", "Fine"))
    InboundWebhook.objects.filter(message_sid="SM2").update(
        received_at=timezone.now() + timedelta(seconds=1)
    )
    # A worker takes the fresh payloads together and dies routing the first one (no
    # exception to catch): the whole batch waits out the lease.
    assert [w.message_sid for w in ingest_module._claim(skip=[])] == ["SM1", "SM2"]
    assert ingest_inbound.apply().get() == 0
    age(minutes=3)
    for _ in range(MAX_ATTEMPTS - 1):
        # Tried before, it is now taken alone, and it kills its worker again...
        assert [w.message_sid for w in ingest_module._claim(skip=[])] == ["SM1"]
        # ... while the next drain routes the others.
        assert ingest_inbound.apply().get() in (0, 1)
        assert list(Message.objects.values_list("body", flat=True)) == ["Fine"]
        age(minutes=3)  # the dead worker's lease runs out
    assert InboundWebhook.objects.get(message_sid="SM1").attempts == MAX_ATTEMPTS
    assert ingest_inbound.apply().get() == 0  # left for a person
    assert not InboundWebhook.objects.filter(message_sid="SM1", processed_at__isnull=False)


def test_a_body_over_the_sms_limit_is_cut_and_the_payload_kept_whole(
    post_webhook, ingest, alice_line
):
    from channels_twilio.models import InboundWebhook
    from inbox.models import Message

    long_body = "y" * 2000
    post_webhook("messages", payload("inbound_sms", Body=long_body))
    ingest()
    assert Message.objects.get().body == "y" * 1600
    assert long_body in InboundWebhook.objects.get().payload

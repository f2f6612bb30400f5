"""Operations: /readyz (the backlog, 503 past thresholds), /metrics (Prometheus), JSON logs.
Both views are for monitoring: the operations token or an admin's session, nobody else."""

import io
import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from channels_twilio.ingest import MAX_ATTEMPTS
from channels_twilio.models import InboundWebhook
from converse.logs import JsonFormatter, MessageIdFilter, log_about_message
from inbox.channels import SendError
from inbox.models import Message, MessageStatus, WorkerHeartbeat
from inbox.services.sending import message_dispatch
from inbox.tasks import worker_heartbeat

from .factories import ConversationFactory

TOKEN = "ops-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _token(settings):
    settings.OPERATIONS_TOKEN = TOKEN


@pytest.fixture
def conversation(alice_line):
    return ConversationFactory(contact__phone_e164="+12025550123", sender_id=alice_line)


def queued_send(conversation, alice, *, age: float, **fields) -> Message:
    return Message.objects.create(
        conversation=conversation, direction="out", author=alice, body="Hi",
        status=MessageStatus.QUEUED, channel="sms",
        created_at=timezone.now() - timedelta(seconds=age), **fields,
    )  # fmt: skip


def stored_inbound(sid: str, *, age: float, attempts: int = 0) -> InboundWebhook:
    return InboundWebhook.objects.create(
        channel="sms", message_sid=sid, payload=f"MessageSid={sid}", attempts=attempts,
        received_at=timezone.now() - timedelta(seconds=age),
    )  # fmt: skip


@pytest.fixture
def refusing_provider(monkeypatch):
    """Every send is refused by the provider with the code given."""

    def refuse_with(code: str) -> None:
        class Refusing:
            def send(self, message):
                raise SendError(code, "Refused by the provider.", transient=False)

        monkeypatch.setattr("inbox.services.sending.adapter_for", lambda channel: Refusing())

    return refuse_with


def beat_now() -> None:
    WorkerHeartbeat.objects.create(worker="celery@host", beaten_at=timezone.now())


@pytest.mark.parametrize("name", ["readyz", "metrics"])
def test_only_the_token_or_an_admin_reads_the_operations_views(client, admin, alice, db, name):
    url = reverse(name)
    assert client.get(url).status_code == 403  # anonymous
    assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 403
    client.force_login(alice)  # an agent
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url, headers=BEARER).status_code in (200, 503)
    client.force_login(admin)
    assert client.get(url).status_code in (200, 503)


def test_the_operations_views_need_a_token_to_be_set_to_take_one(client, db, settings):
    settings.OPERATIONS_TOKEN = ""
    assert client.get(reverse("readyz"), headers={"Authorization": "Bearer "}).status_code == 403


def test_ready_when_a_worker_beat_recently_and_nothing_waits_too_long(
    client, conversation, alice, django_assert_num_queries
):
    beat_now()
    stored_inbound("SM1", age=5)
    queued_send(conversation, alice, age=3)
    queued_send(conversation, alice, age=900, scheduled_for=timezone.now() + timedelta(hours=1))

    with django_assert_num_queries(3):
        response = client.get(reverse("readyz"), headers=BEARER)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert body["inbound"]["waiting"] == 1 and 4 <= body["inbound"]["oldest_age_seconds"] < 60
    assert body["sends"]["waiting"] == 1  # the one held for later does not count
    assert 2 <= body["sends"]["oldest_age_seconds"] < 60
    assert body["worker"]["heartbeat_age_seconds"] < 5


def test_an_inbound_message_unrouted_past_the_threshold_makes_it_not_ready(client, db):
    beat_now()
    stored_inbound("SM1", age=django_settings.READY_MAX_INBOUND_AGE_SECONDS + 5)
    stored_inbound("SM2", age=3600, attempts=MAX_ATTEMPTS)  # given up: counted apart

    response = client.get(reverse("readyz"), headers=BEARER)

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["inbound"]
    assert body["inbound"]["waiting"] == 1 and body["inbound"]["given_up"] == 1


def test_a_send_waiting_past_the_threshold_makes_it_not_ready(client, conversation, alice):
    beat_now()
    queued_send(conversation, alice, age=django_settings.READY_MAX_SEND_AGE_SECONDS + 5)
    queued_send(conversation, alice, age=3600, provider_sid="SMdone")  # handed over

    response = client.get(reverse("readyz"), headers=BEARER)

    assert response.status_code == 503
    assert response.json()["failing"] == ["sends"]
    assert response.json()["sends"]["waiting"] == 1


def test_no_recent_worker_heartbeat_makes_it_not_ready(client, db):
    assert client.get(reverse("readyz"), headers=BEARER).json()["failing"] == ["worker"]

    worker_heartbeat.apply()
    assert client.get(reverse("readyz"), headers=BEARER).status_code == 200
    later = timezone.now() + timedelta(seconds=django_settings.READY_MAX_HEARTBEAT_AGE_SECONDS + 1)
    with time_machine.travel(later):
        response = client.get(reverse("readyz"), headers=BEARER)
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


def test_beat_runs_the_heartbeat_and_the_sweeps_every_few_seconds():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["worker-heartbeat"]["task"] == "inbox.tasks.worker_heartbeat"
    assert (
        schedule["worker-heartbeat"]["schedule"] < django_settings.READY_MAX_HEARTBEAT_AGE_SECONDS
    )
    assert schedule["recover-stuck-messages"]["schedule"] <= 10
    assert schedule["requeue-unprocessed-webhooks"]["schedule"] <= 10


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_show_the_backlog_request_counts_and_send_outcomes(
    client, conversation, alice, tasks, refusing_provider, django_assert_num_queries
):
    refusing_provider("21211")
    failed_before = sample("converse_sends_total", outcome="failed", code="21211")
    requests_before = sample(
        "converse_http_requests_total", view="healthz", method="GET", status="200"
    )
    stored_inbound("SM1", age=30)
    message = queued_send(conversation, alice, age=10)
    message_dispatch(message_id=message.pk)
    client.get(reverse("healthz"))

    with django_assert_num_queries(3):
        response = client.get(reverse("metrics"), headers=BEARER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.text
    assert "converse_inbound_waiting 1.0" in text
    assert "converse_sends_waiting 0.0" in text  # the refused send failed
    assert "converse_inbound_oldest_age_seconds" in text
    assert 'converse_broker_queue_length{queue="inbound"}' in text or not (
        django_settings.CELERY_BROKER_URL.startswith("redis")
    )
    assert sample("converse_sends_total", outcome="failed", code="21211") == failed_before + 1
    assert (
        sample("converse_http_requests_total", view="healthz", method="GET", status="200")
        == requests_before + 1
    )


def test_json_logs_carry_the_public_id_of_the_message_they_are_about(
    conversation, alice, refusing_provider
):
    refusing_provider("21610")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MessageIdFilter())
    inbox_log = logging.getLogger("inbox")
    inbox_log.addHandler(handler)
    message = queued_send(conversation, alice, age=1)
    try:
        message_dispatch(message_id=message.pk)
        logging.getLogger("inbox.other").warning("not about a message")
        with log_about_message("m-elsewhere"):
            logging.getLogger("inbox.other").warning("about another")
    finally:
        inbox_log.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    refused = next(line for line in lines if "refused" in line["message"])
    assert refused["message_id"] == message.public_id
    assert refused["level"] == "WARNING" and refused["logger"] == "inbox.services.sending"
    assert "message_id" not in next(x for x in lines if x["message"] == "not about a message")
    assert next(x for x in lines if x["message"] == "about another")["message_id"] == "m-elsewhere"


def test_the_webhook_outcomes_are_counted(client, db, settings):
    settings.TWILIO_AUTH_TOKEN = "token"
    before = sample("converse_webhooks_total", webhook="inbound_message", outcome="forbidden")

    response = client.post(reverse("channels_twilio:messages"), {"MessageSid": "SM1"})

    assert response.status_code == 403
    after = sample("converse_webhooks_total", webhook="inbound_message", outcome="forbidden")
    assert after == before + 1

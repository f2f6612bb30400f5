"""Faults: bursts of duplicate and out-of-order webhooks from concurrent clients,
a worker killed mid-batch, Redis restarted with sends queued; sends clicked while the broker
is unreachable, the backlog a SIGKILLed worker held (done within 30 s of a new worker), a
customer message carrying NUL characters. PostgreSQL and Redis only: these need real
concurrency, a real broker and worker processes.
"""

import os
import random
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.messaging import Producer
from twilio.request_validator import RequestValidator

from bench.outbound import start_worker
from bench.recovery import measure_recovery
from channels_twilio.models import InboundWebhook
from converse.celery import app as celery_app
from inbox.models import Contact, Conversation, Message, MessageStatus
from inbox.services.sending import message_send
from inbox.tasks import recover_stuck_messages

from ..conftest import TaskQueue
from ..factories import ConversationFactory
from ..support.workers import (
    require_redis_and_postgres,
    running_worker,
    wait_for,
    worker_environment,
)
from .conftest import ACCOUNT_SID, AUTH_TOKEN, payload

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


@pytest.fixture
def live_webhooks(settings, live_server):
    """Webhooks served by a real threaded server, signed for its URL."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers on SQLite serialise on one lock")
    settings.PUBLIC_BASE_URL = live_server.url

    def post(name: str, params: dict[str, str]) -> int:
        path = reverse(f"channels_twilio:{name}")
        signature = RequestValidator(AUTH_TOKEN).compute_signature(live_server.url + path, params)
        request = urllib.request.Request(
            live_server.url + path,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    return post


def burst(post, requests: list[tuple[str, dict[str, str]]]) -> list[int]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda r: post(*r), requests))


def run_concurrently(tasks: TaskQueue, workers: int = 8) -> None:
    """Run what was queued on ``workers`` threads at once, as that many Celery workers would."""

    def run(item) -> None:
        try:
            item.task.apply(args=item.args, kwargs=item.kwargs).get()
        finally:
            connection.close()

    queued, tasks.queued = tasks.queued, []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, queued))


def test_a_burst_of_duplicate_inbound_webhooks_stores_each_message_once(
    live_webhooks, tasks, alice, alice_line
):
    customers = [f"+1202555{n:04d}" for n in range(120, 125)]
    sids = [f"SM{n:032x}" for n in range(30)]
    requests = [
        (
            "messages",
            payload(
                "inbound_sms",
                MessageSid=sid,
                SmsSid=sid,
                SmsMessageSid=sid,
                From=customers[n % len(customers)],
                To=alice_line.address,
                Body=f"Message {n}",
            ),
        )
        for n, sid in enumerate(sids)
        for _ in range(4)  # every webhook delivered four times
    ]
    random.Random(5).shuffle(requests)

    assert set(burst(live_webhooks, requests)) == {200}
    assert InboundWebhook.objects.count() == len(tasks.queued) == len(sids)
    run_concurrently(tasks)  # new customers' messages, side by side

    assert Message.objects.count() == len(sids)
    assert sorted(Message.objects.values_list("provider_sid", flat=True)) == sorted(sids)
    assert Contact.objects.count() == len(customers)
    assert Conversation.objects.count() == len(customers)
    posted = dict(InboundWebhook.objects.values_list("message_sid", "received_at"))
    for conversation in Conversation.objects.all():
        thread = list(conversation.messages.order_by("created_at", "id"))
        assert [m.created_at for m in thread] == sorted(posted[m.provider_sid] for m in thread)
        assert conversation.last_message_preview == thread[-1].body


def test_out_of_order_status_callbacks_from_concurrent_clients_end_on_the_right_status(
    live_webhooks, alice, alice_line
):
    conversation = ConversationFactory(contact__phone_e164="+12025550123", sender_id=alice_line)
    delivered = {f"SM{n:032x}": "delivered" for n in range(12)}
    undelivered = {f"SM{n:032x}": "undelivered" for n in range(12, 18)}
    for sid in [*delivered, *undelivered]:
        Message.objects.create(
            conversation=conversation, direction="out", author=alice, body=sid,
            status=MessageStatus.QUEUED, channel="sms", provider_sid=sid,
        )  # fmt: skip
    requests = []
    for sid in delivered:
        for status in ["sent", "delivered", "sent", "queued", "delivered", "sending"]:
            requests.append(
                ("status", payload("status_delivered", MessageSid=sid, MessageStatus=status))
            )
    for sid in undelivered:
        for status in ["sent", "undelivered", "sent", "queued", "undelivered"]:
            requests.append(
                ("status", payload("status_undelivered", MessageSid=sid, MessageStatus=status))
            )
    random.Random(7).shuffle(requests)

    assert set(burst(live_webhooks, requests)) == {200}
    final = dict(Message.objects.values_list("provider_sid", "status"))
    assert final == delivered | undelivered
    assert not Message.objects.filter(
        provider_sid__in=delivered, delivered_at__isnull=True
    ).exists()


@pytest.fixture
def twilio_worker_env(fake_twilio, settings, alice_line) -> dict[str, str]:
    """A worker that sends to the fake Twilio; stuck sends are recovered after 3 s."""
    require_redis_and_postgres()
    celery_app.control.purge()
    settings.STUCK_MESSAGE_AFTER_SECONDS = 3
    settings.SEND_CLAIM_LEASE_SECONDS = 3
    alice_line.rate_per_second = 100  # pacing is tested elsewhere: let the batch flow
    alice_line.save()
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": fake_twilio.url,
        "STUCK_MESSAGE_AFTER_SECONDS": "3",
    }


def send_batch(alice, alice_line, count: int) -> list[Message]:
    conversation = ConversationFactory(contact__phone_e164="+12025550123", sender_id=alice_line)
    return [
        message_send(conversation=conversation, author=alice, body=f"Batch message {n}")
        for n in range(count)
    ]


def recover_until_all_sent(messages: list[Message], timeout: float = 90) -> bool:
    """Run the stuck-message sweep (as beat would) until every message reached Twilio."""
    ids = [m.pk for m in messages]

    def all_sent() -> bool:
        recover_stuck_messages()
        return not Message.objects.filter(pk__in=ids, provider_sid__isnull=True).exists()

    return wait_for(all_sent, timeout=timeout, every=1.0)


def assert_each_sent_once(fake_twilio, messages: list[Message]) -> None:
    created = Counter(r.value("Body") for r in fake_twilio.creates)
    assert created == Counter(m.body for m in messages)
    sids = list(
        Message.objects.filter(pk__in=[m.pk for m in messages]).values_list(
            "provider_sid", flat=True
        )
    )
    assert len(set(sids)) == len(messages)


@pytest.mark.worker
def test_a_worker_killed_mid_batch_and_restarted_sends_every_message_exactly_once(
    twilio_worker_env, fake_twilio, alice, alice_line
):
    fake_twilio.latency = 0.3  # each create takes a while: the kill lands mid-request
    with running_worker(**twilio_worker_env) as first:
        messages = send_batch(alice, alice_line, 12)
        assert wait_for(lambda: len(fake_twilio.creates) >= 4, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    with running_worker(**twilio_worker_env):
        assert recover_until_all_sent(messages), "some messages never reached Twilio"
    assert_each_sent_once(fake_twilio, messages)


def restart_redis() -> None:
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], check=False
    )
    assert wait_for(
        lambda: subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0, 10
    )
    subprocess.run(REDIS_START, check=True)
    assert wait_for(
        lambda: (
            subprocess.run(["redis-cli", "ping"], capture_output=True).stdout.strip() == b"PONG"
        ),
        10,
    )


@pytest.mark.worker
def test_sends_queued_when_redis_restarts_are_all_sent_once(
    twilio_worker_env, fake_twilio, alice, alice_line, settings
):
    if shutil.which("redis-server") is None or "127.0.0.1:6379" not in settings.CELERY_BROKER_URL:
        pytest.skip("needs the local Redis on 127.0.0.1:6379 and redis-server to restart it")
    messages = send_batch(alice, alice_line, 8)  # queued in Redis, no worker running yet
    restart_redis()  # Redis keeps nothing on disk here: the queued tasks are gone
    time.sleep(0.5)
    with running_worker(**twilio_worker_env):
        assert recover_until_all_sent(messages), "sends queued before the restart were lost"
    assert_each_sent_once(fake_twilio, messages)


@pytest.mark.worker
def test_sends_clicked_while_the_broker_is_unreachable_answer_normally_and_go_out_once_it_is_back(
    twilio_worker_env, fake_twilio, client, alice, alice_line, monkeypatch
):
    conversation = ConversationFactory(contact__phone_e164="+12025550123", sender_id=alice_line)
    client.force_login(alice)
    url = reverse("inbox:send", args=[conversation.public_id])

    def unreachable(self, *args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with running_worker(**twilio_worker_env):
        with monkeypatch.context() as outage:
            outage.setattr(Producer, "publish", unreachable)
            statuses = [
                client.post(url, {"body": f"Sent in the outage {n}", "idempotency_key": f"o-{n}"})
                .status_code
                for n in range(6)
            ]  # fmt: skip
        assert statuses == [302] * 6
        messages = list(Message.objects.filter(body__startswith="Sent in the outage"))
        assert len(messages) == 6
        assert {m.status for m in messages} == {MessageStatus.QUEUED}
        assert recover_until_all_sent(messages, timeout=30), "sends from the outage never went"
    assert_each_sent_once(fake_twilio, messages)


@pytest.mark.worker
def test_webhooks_that_came_while_no_worker_ran_are_routed_when_one_starts(
    live_webhooks, alice, alice_line
):
    require_redis_and_postgres()
    celery_app.control.purge()
    sids = [f"SM{n:032x}" for n in range(200, 220)]
    for n, sid in enumerate(sids):
        params = payload("inbound_sms", MessageSid=sid, SmsSid=sid, Body=f"Message {n}")
        assert live_webhooks("messages", params) == 200
    assert not Message.objects.exists()

    with running_worker():
        assert wait_for(lambda: Message.objects.count() == len(sids), timeout=60)
    assert not InboundWebhook.objects.filter(processed_at__isnull=True).exists()
    thread = Conversation.objects.get().messages.order_by("created_at", "id")
    assert [m.body for m in thread] == [f"Message {n}" for n in range(len(sids))]


@pytest.mark.worker
def test_the_backlog_a_killed_worker_held_is_done_within_30_seconds_of_a_new_worker(
    fake_twilio, alice, alice_line
):
    """Default claim leases, sweep period and stuck-message age: the new worker's beat
    finds the killed worker's payloads and sends; none is sent twice."""
    require_redis_and_postgres()
    celery_app.control.purge()
    alice_line.rate_per_second = 100
    alice_line.save()
    env = worker_environment(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_BASE_URL=fake_twilio.url,
    )
    conversations = [
        ConversationFactory(contact__phone_e164=phone, sender_id=alice_line)
        for phone in ("+12025550123", "+12025550124")
    ]

    run = measure_recovery(
        api=fake_twilio,
        start_worker=lambda threads, beat_schedule=None: start_worker(
            env, threads, 0, queues="default,inbound", beat_schedule=beat_schedule
        ),
        inbound_conversation=conversations[0],
        send_conversation=conversations[1],
        author=alice,
    )

    assert run.status == "ok", run.note
    assert run.inbound_seconds <= 30 and run.sends_seconds <= 30, run
    assert Message.objects.filter(direction="in").count() == run.inbound
    assert run.provider_creates == run.sends


@pytest.mark.worker
def test_a_customer_message_carrying_nul_characters_reaches_the_inbox_through_a_real_worker(
    live_webhooks, alice, alice_line
):
    require_redis_and_postgres()
    celery_app.control.purge()
    sid = "SM" + "0" * 30 + "99"
    params = payload("inbound_sms", MessageSid=sid, SmsSid=sid, Body="Call me\x00 at 5\x00")

    assert live_webhooks("messages", params) == 200
    with running_worker():
        assert wait_for(lambda: Message.objects.filter(provider_sid=sid).exists(), timeout=30)
    assert Message.objects.get(provider_sid=sid).body == "Call me at 5"
    assert InboundWebhook.objects.get(message_sid=sid).attempts == 1

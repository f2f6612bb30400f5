"""Outbound: messages per second from ``message_send`` to "provider accepted".

A real Celery worker (Redis db 6) takes the deliveries and sends them through the Twilio
adapter and SDK to the Twilio-compatible server of the tests, on loopback. "Accepted" is the
moment the worker stores the provider's SID.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db.models import Q

from inbox.models import Conversation, Message, SenderId, User
from inbox.services.sending import message_send
from tests.support.fake_twilio import FakeTwilio

from .dataset import BUSY_AGENT
from .load import ROOT
from .webhook import ACCOUNT_SID, AUTH_TOKEN

SHORT_CODE_RATE = 100


@dataclass
class OutboundResult:
    provider: str
    messages: int = 0
    per_second: float | None = None
    send_calls_per_second: float | None = None
    provider_requests: int | None = None


def flush_broker() -> None:
    """Empty Redis db 6 (the bench's own) so no task outlives a run."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def start_worker(env: dict[str, str], concurrency: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "converse", "worker", "--pool=threads",
        f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-gossip",
        "--without-mingle", "--without-heartbeat", "-Q", "default",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=os.environ | env)


def accepted(ids: list[int]) -> int:
    return Message.objects.filter(pk__in=ids, provider_sid__isnull=False).count()


def wait_accepted(ids: list[int], timeout: float) -> float:
    """Wait until every message in ``ids`` has a provider SID; return when that happened."""
    deadline = time.monotonic() + timeout
    while accepted(ids) < len(ids):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(ids) - accepted(ids)} of {len(ids)} sends not accepted")
        time.sleep(0.02)
    return time.perf_counter()


def send_batch(count: int) -> tuple[list[int], float]:
    """Send ``count`` messages as the busy agent; return their ids and when sending began."""
    agent = User.objects.get(username=BUSY_AGENT)
    conversations = list(
        Conversation.objects.filter(owner=agent, contact__sms_opted_out_at__isnull=True)
        .filter(~Q(sender_id__channel="whatsapp"))
        .select_related("contact", "sender_id", "owner", "team")
        .order_by("-last_activity_at")[: min(count, 200)]
    )
    # Measure the pipeline, not per-sender pacing (a US long code sends one segment a
    # second by design): the bench's lines send at a short code's rate.
    SenderId.objects.filter(pk__in={c.sender_id_id for c in conversations}).update(
        rate_per_second=SHORT_CODE_RATE, next_send_at=None
    )
    started = time.perf_counter()
    ids = [
        message_send(
            conversation=conversations[n % len(conversations)],
            author=agent,
            body=f"Benchmark reply {n}",
        ).pk
        for n in range(count)
    ]
    return ids, started


def measure_outbound(*, count: int, concurrency: int, latency: float) -> OutboundResult:
    result = OutboundResult(provider="twilio (Twilio-compatible server on loopback)")
    flush_broker()
    api = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, latency=latency).start()
    try:
        env = {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": api.url,
        }
        worker = start_worker(env, concurrency)
        try:
            warmup, _ = send_batch(1)
            wait_accepted(warmup, timeout=90)
            ids, started = send_batch(count)
            sent = time.perf_counter()
            finished = wait_accepted(ids, timeout=300)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
            flush_broker()
        result.messages = count
        result.per_second = round(count / (finished - started), 1)
        result.send_calls_per_second = round(count / (sent - started), 1)
        result.provider_requests = len(api.creates)
    finally:
        api.stop()
    return result

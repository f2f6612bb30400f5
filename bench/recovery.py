"""Recovery after SIGKILL: seconds from a new worker's start until the work a killed worker
held is done.

A worker takes a batch of inbound payloads and some sends and is killed (SIGKILL) while it
holds them: the payloads' routing waits on a conversation row kept locked meanwhile, the
sends wait on the Twilio-compatible server, which answers only after a long delay (it has
created the messages, as Twilio does when the client is gone). A new worker with its own
beat then starts on the product's settings (claim leases, sweep period, stuck-message age);
the run measures how long until every held payload is routed and every held send has the
provider's SID, and counts the creates the provider got (one per send: none sent twice).
"""

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg
from django.db import connection
from django.utils import timezone

from channels_twilio.ingest import webhook_store
from channels_twilio.models import InboundWebhook
from channels_twilio.tasks import ingest_inbound
from inbox.models import Conversation, Message, User
from inbox.services.sending import message_send
from tests.support.fake_twilio import FakeTwilio

# Long enough that the killed worker never hears back; the new worker gets answers at once.
HELD_LATENCY = 300.0

StartWorker = Callable[..., subprocess.Popen]


@dataclass
class RecoveryRun:
    inbound: int
    sends: int
    inbound_seconds: float | None = None
    sends_seconds: float | None = None
    provider_creates: int = 0
    status: str = "ok"
    note: str = ""

    @property
    def backlog_seconds(self) -> float | None:
        """Seconds until the whole held backlog was done (None: it was not)."""
        if self.inbound_seconds is None or self.sends_seconds is None:
            return None
        return max(self.inbound_seconds, self.sends_seconds)


def measure_recovery(
    *,
    api: FakeTwilio,
    start_worker: StartWorker,
    inbound_conversation: Conversation,
    send_conversation: Conversation,
    author: User,
    inbound: int = 8,
    sends: int = 3,
    timeout: float = 120.0,
) -> RecoveryRun:
    """Kill a worker holding ``inbound`` payloads and ``sends`` sends, start another, time it.

    ``start_worker(threads, beat_schedule=None)`` starts a worker process on the database
    and broker in use, sending to ``api``. The two conversations must differ: the first one's
    row is locked while the first worker runs.
    """
    run = RecoveryRun(inbound=inbound, sends=sends)
    tag = f"rc{time.time_ns():x}"
    api.latency = HELD_LATENCY
    with _row_locked("inbox_conversation", inbound_conversation.pk):
        first = start_worker(sends + 1)
        try:
            sids = _store_inbound(inbound_conversation, tag, inbound)
            messages = [
                message_send(conversation=send_conversation, author=author, body=f"{tag} {n}")
                for n in range(sends)
            ]
            ids = [m.pk for m in messages]
            held = _wait(lambda: _claimed(sids) == inbound and _sending(ids) == sends, timeout)
            if held is None:
                run.status, run.note = "error", "the first worker never held the backlog"
                return run
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
    api.latency = 0.0
    with tempfile.TemporaryDirectory() as beat_dir:
        second = start_worker(2, beat_schedule=os.path.join(beat_dir, "beat-schedule"))
        started = time.monotonic()
        try:
            run.inbound_seconds = _wait(lambda: _routed(sids) == inbound, timeout, since=started)
            run.sends_seconds = _wait(
                lambda: not Message.objects.filter(pk__in=ids, provider_sid__isnull=True).exists(),
                timeout,
                since=started,
            )
        finally:
            second.terminate()
            second.wait(timeout=60)
    run.provider_creates = sum(1 for r in api.creates if r.value("Body").startswith(tag))
    if run.backlog_seconds is None:
        run.status, run.note = "error", f"backlog not done within {timeout:.0f} s"
    elif run.provider_creates != sends:
        run.status, run.note = "error", f"{run.provider_creates} provider creates for {sends}"
    return run


def _store_inbound(conversation: Conversation, tag: str, count: int) -> list[str]:
    """Store ``count`` customer messages as the webhook does, then queue one drain."""
    sids = [f"SM{tag}{n:08x}" for n in range(count)]
    for n, sid in enumerate(sids):
        params = {
            "MessageSid": sid,
            "From": conversation.customer_address,
            "To": conversation.sender_id.address,
            "Body": f"Held message {n}",
            "NumMedia": "0",
        }
        webhook_store(
            channel="sms", message_sid=sid, payload=urlencode(params), received_at=timezone.now()
        )
    ingest_inbound.delay()
    return sids


def _claimed(sids: list[str]) -> int:
    return InboundWebhook.objects.filter(message_sid__in=sids, claimed_at__isnull=False).count()


def _sending(ids: list[int]) -> int:
    return Message.objects.filter(pk__in=ids, dispatch_started_at__isnull=False).count()


def _routed(sids: list[str]) -> int:
    return InboundWebhook.objects.filter(message_sid__in=sids, processed_at__isnull=False).count()


def _wait(done: Callable[[], bool], timeout: float, since: float | None = None) -> float | None:
    """Seconds from ``since`` (default: now) until ``done()``; None after ``timeout``."""
    start = time.monotonic() if since is None else since
    while time.monotonic() - start < timeout:
        if done():
            return round(time.monotonic() - start, 1)
        time.sleep(0.1)
    return None


class _row_locked:
    """Hold ``FOR UPDATE`` on one row from another connection for the ``with`` block."""

    def __init__(self, table: str, pk: int) -> None:
        self.table, self.pk = table, pk

    def __enter__(self) -> None:
        db = connection.settings_dict
        self.conn = psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"],
            password=db["PASSWORD"] or None, dbname=db["NAME"],
        )  # fmt: skip
        self.conn.execute(f"SELECT 1 FROM {self.table} WHERE id = %s FOR UPDATE", [self.pk])

    def __exit__(self, *exc) -> None:
        self.conn.rollback()
        self.conn.close()

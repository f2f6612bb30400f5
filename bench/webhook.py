"""Webhook ingest: signed Twilio "message comes in" POSTs through gunicorn (public contract).

Requests follow Twilio's form fields and sign them like Twilio does: HMAC-SHA1 of
PUBLIC_BASE_URL + path and the sorted parameters, with the auth token. The webhook stores
each payload and queues it; ``route`` then starts the inbound worker on that backlog and
counts how many messages per second it routes into conversations.
"""

import http.client
import os
import random
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from channels_twilio.models import InboundWebhook
from converse.celery import app as celery_app

from .load import HOST, ROOT, LoadResult, http_load

PATH = "/webhooks/twilio/messages"
ACCOUNT_SID = "AC" + "0b" * 16
AUTH_TOKEN = "bench" + "0" * 27
BODIES = ["Hi, is my order shipped yet?", "Thanks! 🙏", "Do you open on Sundays?", "ok"]


def twilio_env(port: int) -> dict[str, str]:
    """Server environment for signed webhooks on ``port`` (fake credentials)."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": f"http://{HOST}:{port}",
    }


@dataclass
class InboundRequests:
    """Makes signed inbound webhooks: mostly known customers, one in five a new number."""

    port: int
    pairs: list[tuple[str, str]]  # (customer phone, sender address)
    run: str = ""

    def __post_init__(self) -> None:
        self.run = self.run or secrets.token_hex(4)
        self.validator = RequestValidator(AUTH_TOKEN)
        self.url = f"http://{HOST}:{self.port}{PATH}"

    def params(self, worker: int, seq: int) -> dict[str, str]:
        rng = random.Random(hash((self.run, worker, seq)))
        customer, sender = rng.choice(self.pairs)
        if seq % 5 == 4:
            customer = f"+1{rng.randrange(200, 999)}{rng.randrange(2_000_000, 9_999_999)}"
        sid = f"SM{self.run}{worker:04x}{seq:020x}"
        return {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "Body": rng.choice(BODIES),
            "From": customer,
            "To": sender,
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "NumSegments": "1",
        }

    def __call__(self, worker: int, seq: int):
        params = self.params(worker, seq)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(self.url, params),
        }
        return "POST", PATH, urlencode(params).encode(), headers


def probe(requests: InboundRequests) -> int:
    """The status one signed webhook gets: 404 means the endpoint is not on this branch."""
    method, path, body, headers = requests(9999, 0)
    conn = http.client.HTTPConnection(HOST, requests.port, timeout=30)
    conn.request(method, path, body, headers)
    return conn.getresponse().status


def ingest(requests: InboundRequests, *, concurrency: int, seconds: float) -> LoadResult:
    return http_load(requests.port, requests, concurrency=concurrency, seconds=seconds)


@dataclass(frozen=True)
class RouteResult:
    per_second: float
    routed: int
    seconds: float
    concurrency: int
    left: int  # payloads of the run still unrouted when the measurement ended


def route(run: str, *, concurrency: int, seconds: float) -> RouteResult:
    """Start an inbound worker on the queued payloads of ``run``; measure its rate once it
    routes, for ``seconds``; then stop it and drop what is left in the queue."""
    pending = InboundWebhook.objects.filter(
        message_sid__startswith=f"SM{run}", processed_at__isnull=True
    )
    command = [
        sys.executable, "-m", "celery", "-A", "converse", "worker", "--pool=prefork",
        f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-gossip",
        "--without-mingle", "--without-heartbeat", "-Q", "inbound",
    ]  # fmt: skip
    worker = subprocess.Popen(command, cwd=ROOT, env=os.environ)
    try:
        total = pending.count()
        deadline = time.monotonic() + 60
        while pending.count() == total and time.monotonic() < deadline:
            time.sleep(0.05)
        started, left_at_start = time.perf_counter(), pending.count()
        while time.perf_counter() - started < seconds and pending.exists():
            time.sleep(0.05)
        elapsed, left = time.perf_counter() - started, pending.count()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        celery_app.control.purge()
    routed = left_at_start - left
    return RouteResult(
        per_second=round(routed / elapsed, 1),
        routed=routed,
        seconds=round(elapsed, 1),
        concurrency=concurrency,
        left=left,
    )

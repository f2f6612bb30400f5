"""Webhook ingest: signed Twilio "message comes in" POSTs through gunicorn (public contract).

Requests follow Twilio's form fields and sign them like Twilio does: HMAC-SHA1 of
PUBLIC_BASE_URL + path and the sorted parameters, with the auth token.
"""

import http.client
import random
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from .load import HOST, LoadResult, http_load

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

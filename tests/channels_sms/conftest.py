"""Twilio channel test tools: a fake Twilio on loopback, signed webhooks, recorded payloads."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery.exceptions import Retry
from django.urls import reverse
from twilio.request_validator import RequestValidator

from inbox import channels
from inbox.models import Channel, SenderId

from ..conftest import TaskQueue
from ..support.fake_twilio import FakeTwilio

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT_SID = "AC00000000000000000000000000000001"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://converse.example.com"


def payload(name: str, **changes: str) -> dict[str, str]:
    """A recorded Twilio webhook payload from ``fixtures/``, with some fields changed."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    return data | changes


def sign(path: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params)


@pytest.fixture
def fake_twilio():
    server = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def twilio_settings(settings, fake_twilio):
    """Converse configured for Twilio, its SDK pointed at the fake server."""
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_API_BASE_URL = fake_twilio.url
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CONVERSE_CHANNEL_ADAPTERS = {
        "sms": "channels_sms.adapter.TwilioSmsAdapter",
        "whatsapp": "channels_whatsapp.adapter.TwilioWhatsAppAdapter",
    }
    channels._load.cache_clear()
    yield settings
    channels._load.cache_clear()


@pytest.fixture
def post_webhook(client, tasks):
    """POST ``params`` to a Twilio webhook, signed as Twilio would unless told otherwise.

    What the webhook queues waits in ``tasks``: ``ingest()`` routes stored inbound messages.
    """

    def post(name: str, params: dict[str, str], *, signature: str | None = None):
        path = reverse(f"channels_twilio:{name}")
        headers = {} if signature == "" else {"X-Twilio-Signature": signature or sign(path, params)}
        return client.post(path, params, headers=headers)

    return post


@pytest.fixture(autouse=True)
def _wake_for_every_webhook(monkeypatch):
    """Each stored webhook queues its own drain: tests see what one webhook does alone."""
    monkeypatch.setattr("channels_twilio.tasks.WAKE_WINDOW", 0)


@pytest.fixture
def ingest(tasks, django_capture_on_commit_callbacks):
    """Run the queued ``ingest_inbound`` drains, as the inbound worker would (what they do
    once a message commits included); return how many ran."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.run_named("channels_twilio.tasks.ingest_inbound")

    return run


@pytest.fixture
def whatsapp_line(alice) -> SenderId:
    return SenderId.objects.create(
        address="whatsapp:+14155550150", channel=Channel.WHATSAPP, label="WhatsApp", owner=alice
    )


@dataclass
class Worker:
    """Runs what the ``tasks`` fixture queued, as a worker would, retries included.

    A task's ``self.retry`` is put back in the queue with its retry count (the back-off
    countdown is not waited for); ``retried`` counts those.
    """

    tasks: TaskQueue
    retried: int = 0

    def run(self, limit: int = 100) -> None:
        pending = [(item, 0) for item in self.tasks.queued]
        self.tasks.queued.clear()
        while pending and limit:
            limit -= 1
            item, retries = pending.pop(0)
            try:
                item.task.apply(args=item.args, kwargs=item.kwargs, retries=retries).get()
            except Retry:
                self.retried += 1
                pending.append((item, retries + 1))
            pending.extend((queued, 0) for queued in self.tasks.queued)
            self.tasks.queued.clear()


@pytest.fixture
def worker(tasks) -> Worker:
    return Worker(tasks)

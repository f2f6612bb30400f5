"""Inbound media URLs come from the internet: only Twilio is asked, credentials go only to its
API, its CDN redirect is followed without them, and size is capped."""

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone

from channels_twilio.tasks import fetch_missing_media
from inbox.models import Attachment, Message

from ..support.fake_twilio import FakeTwilio
from .conftest import ACCOUNT_SID, payload

JPEG = b"\xff\xd8\xff\xe0 a small photo"


@pytest.fixture
def elsewhere():
    """Another server on loopback standing in for an internal service (``/healthz``, …)."""
    server = FakeTwilio(account_sid=ACCOUNT_SID, auth_token="other").start()
    yield server
    server.stop()


def receive_media(post_webhook, ingest, url: str) -> Attachment:
    post_webhook("messages", payload("inbound_mms", MediaUrl0=url))
    ingest()
    return Attachment.objects.get()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/healthz",
        "file:///etc/passwd",
        "https://evil.example.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "https://user:pass@api.twilio.com/2010-04-01/x",
    ],
)
def test_media_urls_that_are_not_twilios_api_are_never_fetched(
    post_webhook, ingest, alice_line, worker, url
):
    attachment = receive_media(post_webhook, ingest, url)
    worker.run()
    attachment.refresh_from_db()
    assert not attachment.file
    assert worker.retried == 0  # refused once, not tried five times


def test_a_loopback_service_gets_no_request_and_no_credentials(
    post_webhook, ingest, alice_line, worker, elsewhere
):
    attachment = receive_media(post_webhook, ingest, elsewhere.add_media(b"{}", "application/json"))
    worker.run()
    assert elsewhere.requests == []
    attachment.refresh_from_db()
    assert not attachment.file


def test_the_cdn_redirect_is_followed_without_credentials(
    post_webhook, ingest, alice_line, fake_twilio, worker
):
    attachment = receive_media(
        post_webhook, ingest, fake_twilio.add_media(JPEG, "image/jpeg", redirect_to="cdn")
    )
    worker.run()
    api, cdn = fake_twilio.requests
    assert api.authorization.startswith("Basic ")
    assert cdn.path.startswith("/cdn/") and cdn.authorization == ""
    attachment.refresh_from_db()
    assert attachment.file.read() == JPEG


def test_a_redirect_away_from_twilio_is_not_followed(
    post_webhook, ingest, alice_line, fake_twilio, worker, elsewhere
):
    target = elsewhere.add_media(b"internal", "text/plain")
    attachment = receive_media(
        post_webhook, ingest, fake_twilio.add_media(b"", "", redirect_to=target)
    )
    worker.run()
    assert elsewhere.requests == []
    attachment.refresh_from_db()
    assert not attachment.file


def test_media_over_the_size_cap_is_refused_without_retries(
    post_webhook, ingest, alice_line, fake_twilio, worker, settings
):
    settings.TWILIO_MEDIA_MAX_BYTES = 10
    attachment = receive_media(post_webhook, ingest, fake_twilio.add_media(JPEG, "image/jpeg"))
    worker.run()
    attachment.refresh_from_db()
    assert not attachment.file
    assert worker.retried == 0


def test_the_sweep_leaves_urls_that_are_not_twilios_alone(
    post_webhook, ingest, alice_line, fake_twilio, tasks
):
    receive_media(post_webhook, ingest, "http://127.0.0.1:9/healthz")
    tasks.queued.clear()
    Message.objects.update(created_at=timezone.now() - timedelta(minutes=15))
    assert fetch_missing_media() == 0
    assert tasks.queued == []


def test_the_source_url_cannot_be_edited_in_admin(admin):
    request = RequestFactory().get("/admin/")
    request.user = admin
    [inline_class] = site._registry[Message].inlines
    inline = inline_class(Message, site)
    assert "source_url" in inline.get_readonly_fields(request)
    assert "source_url" not in inline.get_formset(request).form.base_fields

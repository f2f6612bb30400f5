"""Calls to Twilio's REST API through the ``twilio`` SDK, with errors turned into SendError.

``TWILIO_API_BASE_URL`` points the SDK at a Twilio-compatible server (tests, benchmarks).
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from inbox.channels import SendError
from inbox.provider_errors import describe

log = logging.getLogger(__name__)

# Twilio answers 429 or code 20429 when we go too fast; 5xx when it is unwell.
_RATE_LIMIT_CODES = {20429}
# Clock difference allowed between us and Twilio when matching a message found by look-up.
_CLOCK_SKEW = timedelta(minutes=2)
# A look-up reads Twilio's list this many messages a page, and at most this many in all.
LOOKUP_PAGE_SIZE = 50
LOOKUP_MAX_MESSAGES = 1000


@dataclass(frozen=True)
class ProviderMessage:
    sid: str
    status: str


_per_thread = threading.local()


def twilio_client() -> Client:
    """This thread's Twilio client, kept between calls so its HTTPS connection is reused.

    A fresh connection costs a TCP and TLS handshake with Twilio on every send. The SDK
    client keeps the last request on itself, so each worker thread has its own; it is built
    again when the settings it was made from change (tests point it at new servers).
    """
    config = (
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_API_BASE_URL,
        settings.TWILIO_HTTP_TIMEOUT,
    )
    if getattr(_per_thread, "config", None) != config:
        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.TWILIO_HTTP_TIMEOUT),
        )
        if settings.TWILIO_API_BASE_URL:
            client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
        _per_thread.config, _per_thread.client = config, client
    return _per_thread.client


def send_error_from(exc: Exception) -> SendError:
    """Classify an SDK or network failure: transient ones are retried, others fail at once."""
    if isinstance(exc, TwilioRestException):
        code = str(exc.code or exc.status)
        transient = (
            exc.status == 429
            or exc.status >= 500
            or exc.code in _RATE_LIMIT_CODES
            or describe(code).transient
        )
        return SendError(code, str(exc.msg or "")[:200], transient=transient)
    if isinstance(exc, requests.Timeout):
        return SendError("timeout", str(exc)[:200], transient=True)
    return SendError("network", str(exc)[:200], transient=True)


def message_create(
    *, to: str, from_: str, body: str, media_urls: list[str], status_callback: str
) -> ProviderMessage:
    """Create a message at Twilio; raise SendError when it is not accepted."""
    kwargs = {"to": to, "from_": from_, "status_callback": status_callback}
    if body:
        kwargs["body"] = body
    if media_urls:
        kwargs["media_url"] = media_urls
    try:
        created = twilio_client().messages.create(**kwargs)
    except (TwilioRestException, requests.RequestException) as exc:
        raise send_error_from(exc) from exc
    return ProviderMessage(sid=created.sid, status=created.status or "queued")


def messages_matching(*, to: str, from_: str, body: str, since: datetime) -> list[ProviderMessage]:
    """Messages to ``to`` from ``from_`` with ``body`` created since ``since``, oldest first.

    Used before sending again after an attempt whose outcome we never learnt (a timeout, a
    worker that died): Twilio may have created the message although we saw no answer.
    ``since`` is when that attempt started: Twilio lists newest first, so the pages are read
    until a message older than that (less the clock skew), however many came since.
    """
    bound = since - _CLOCK_SKEW
    found: list[ProviderMessage] = []
    try:
        listed = twilio_client().messages.stream(to=to, from_=from_, page_size=LOOKUP_PAGE_SIZE)
        for seen, m in enumerate(listed):
            if m.date_created is not None and m.date_created < bound:
                break
            if seen >= LOOKUP_MAX_MESSAGES:
                log.warning("look-up for %s stopped after %d messages", to, seen)
                break
            if (m.body or "") == body:
                found.append(ProviderMessage(sid=m.sid, status=m.status or "queued"))
    except (TwilioRestException, requests.RequestException) as exc:
        raise send_error_from(exc) from exc
    return found[::-1]


def media_download(url: str) -> tuple[bytes, str]:
    """Fetch an inbound media file with the account's credentials: (content, content type).

    Twilio media URLs need HTTP basic auth and redirect to a short-lived storage URL;
    ``requests`` drops the credentials when the redirect leaves the host.
    """
    limit = settings.TWILIO_MEDIA_MAX_BYTES
    with requests.get(
        url,
        auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
        timeout=settings.TWILIO_HTTP_TIMEOUT,
        stream=True,
    ) as response:
        response.raise_for_status()
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise ValueError(f"media larger than {limit} bytes: {url}")
            chunks.append(chunk)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    return b"".join(chunks), content_type

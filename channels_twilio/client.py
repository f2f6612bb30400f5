"""Calls to Twilio's REST API through the ``twilio`` SDK, with errors turned into SendError.

``TWILIO_API_BASE_URL`` points the SDK at a Twilio-compatible server (tests, benchmarks).
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from inbox.channels import SendError
from inbox.pure.params import param_int
from inbox.pure.provider_errors import describe

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
    *,
    to: str,
    from_: str,
    status_callback: str,
    body: str = "",
    media_urls: list[str] = (),
    **params: str,
) -> ProviderMessage:
    """Create a message at Twilio; raise SendError when it is not accepted.

    ``params`` are further Messages resource parameters, in the SDK's spelling
    (``content_sid``, ``content_variables`` for a WhatsApp template).
    """
    kwargs = {"to": to, "from_": from_, "status_callback": status_callback, **params}
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


class MediaRefused(Exception):
    """A media URL or answer we will not fetch or keep: not retried."""


# Twilio answers a media URL with a redirect to its CDN, where the file is served unsigned.
_API_HOST = ("https", "api.twilio.com")
_CDN_HOSTS = ("media.twiliocdn.com", "mms.twiliocdn.com", "s3-external-1.amazonaws.com")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.netloc or "").lower()


def _api_origins() -> set[tuple[str, str]]:
    """Where media may be asked for with the account's credentials: Twilio's API, and the
    Twilio-compatible server ``TWILIO_API_BASE_URL`` names (tests, benchmarks)."""
    origins = {_API_HOST}
    if settings.TWILIO_API_BASE_URL:
        origins.add(_origin(settings.TWILIO_API_BASE_URL))
    return origins


def media_url_allowed(url: str) -> bool:
    """True for a URL of Twilio's API (the only place credentials are ever sent)."""
    parts = urlsplit(url)
    return _origin(url) in _api_origins() and not parts.username and not parts.password


def _cdn_url_allowed(url: str) -> bool:
    scheme, host = _origin(url)
    return (scheme, host) in _api_origins() or (scheme == "https" and host in _CDN_HOSTS)


def media_download(url: str) -> tuple[bytes, str]:
    """Fetch an inbound media file from Twilio: (content, content type).

    The URL comes from a webhook, so it is data from the internet: only Twilio's API host
    is asked, with the account's credentials; its redirect to Twilio's media CDN is
    followed once, without them. Size (``TWILIO_MEDIA_MAX_BYTES``) and time
    (``TWILIO_HTTP_TIMEOUT`` for the whole download) are capped. Raises MediaRefused for
    anything else, ``requests`` errors for network trouble and HTTP errors.
    """
    if not media_url_allowed(url):
        raise MediaRefused(f"not a Twilio API media URL: {url[:200]}")
    deadline = time.monotonic() + settings.TWILIO_HTTP_TIMEOUT
    auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    with requests.Session() as session:
        session.trust_env = False  # no proxies or .netrc credentials from the environment
        response = session.get(
            url, auth=auth, timeout=settings.TWILIO_HTTP_TIMEOUT, stream=True, allow_redirects=False
        )
        if response.is_redirect:
            target = urljoin(url, response.headers.get("Location", ""))
            response.close()
            if not _cdn_url_allowed(target):
                raise MediaRefused(f"media redirect to a host that is not Twilio's: {target[:200]}")
            response = session.get(
                target, timeout=settings.TWILIO_HTTP_TIMEOUT, stream=True, allow_redirects=False
            )
        with response:
            if response.is_redirect:
                raise MediaRefused(f"media redirected more than once: {url[:200]}")
            response.raise_for_status()
            content = _read_capped(response, deadline=deadline, url=url)
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    return content, content_type


def _read_capped(response: requests.Response, *, deadline: float, url: str) -> bytes:
    limit = settings.TWILIO_MEDIA_MAX_BYTES
    declared = param_int(response.headers.get("Content-Length"))
    if declared is not None and declared > limit:
        raise MediaRefused(f"media larger than {limit} bytes: {url[:200]}")
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise MediaRefused(f"media larger than {limit} bytes: {url[:200]}")
        if time.monotonic() > deadline:
            raise requests.Timeout(f"media download took over {settings.TWILIO_HTTP_TIMEOUT} s")
        chunks.append(chunk)
    return b"".join(chunks)

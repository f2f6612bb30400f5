"""Twilio's webhooks: "a message comes in" (SMS, MMS, WhatsApp) and status callbacks.

Each request is checked against ``X-Twilio-Signature`` with the auth token over
``PUBLIC_BASE_URL`` + the path Twilio called (the URL Twilio signed, even behind a proxy)
and answered with empty TwiML at once. An inbound message is only stored as it came (one
insert) and queued: a worker routes it and fetches its media (``ingest.py``). A status
callback is applied in the request: it is one locked update.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core import signing
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from twilio.request_validator import RequestValidator

from inbox.media_types import ACCEPTED
from inbox.models import Attachment, MessageDirection
from inbox.services.status import provider_status_apply

from .adapter import MEDIA_SALT
from .ingest import adapter_for_params, webhook_store
from .tasks import wake_ingest

log = logging.getLogger(__name__)

# Twilio posts a few kilobytes at most (1,600 characters of body, ten media URLs).
MAX_WEBHOOK_BYTES = 64 * 1024
MAX_NUM_MEDIA = 10
MAX_SID_LENGTH = 64  # Twilio's are 34 characters
# How long Twilio may fetch an outbound attachment after the message was handed over.
MEDIA_URL_MAX_AGE = timedelta(days=2)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def twilio_signed(view: Callable[[HttpRequest], HttpResponse]):
    """Let only requests signed by Twilio reach ``view``: CSRF does not apply, the signature does.

    Too large a body is a 400 before anything is parsed; a bad or missing signature (or no
    auth token configured) is a 403, logged with the URL that was checked.
    """

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest("Invalid Content-Length.")
        if length > MAX_WEBHOOK_BYTES:
            return HttpResponseBadRequest(
                f"Webhook body too large ({length} bytes; the limit is {MAX_WEBHOOK_BYTES})."
            )
        url = settings.PUBLIC_BASE_URL + request.get_full_path()
        signature = request.headers.get("X-Twilio-Signature", "")
        token = settings.TWILIO_AUTH_TOKEN
        if not (
            token and signature and RequestValidator(token).validate(url, request.POST, signature)
        ):
            log.warning(
                "Twilio webhook refused with 403: %s signature, checked against %s",
                "invalid" if signature else "missing",
                url,
            )
            return HttpResponseForbidden("Invalid Twilio signature.")
        return view(request)

    return checked


@twilio_signed
def inbound_message(request: HttpRequest) -> HttpResponse:
    params = request.POST
    if not all(params.get(name) for name in ("MessageSid", "From", "To")):
        return HttpResponseBadRequest("MessageSid, From and To are required.")
    if len(params["MessageSid"]) > MAX_SID_LENGTH:
        return HttpResponseBadRequest("MessageSid is too long.")
    try:
        num_media = int(params.get("NumMedia") or 0)
    except ValueError:
        return HttpResponseBadRequest("NumMedia must be a number.")
    if not 0 <= num_media <= MAX_NUM_MEDIA:
        return HttpResponseBadRequest(f"NumMedia must be between 0 and {MAX_NUM_MEDIA}.")
    stored = webhook_store(
        channel=adapter_for_params(params).channel,
        message_sid=params["MessageSid"],
        payload=_signed_form(request),
        received_at=timezone.now(),
    )
    if stored is not None:  # None: a redelivery of a stored webhook
        wake_ingest()
    return _twiml()


def _signed_form(request: HttpRequest) -> str:
    """The signed parameters, form-encoded: Twilio's own body when it is a form (always)."""
    if request.content_type == "application/x-www-form-urlencoded":
        return request.body.decode()
    return request.POST.urlencode()


@twilio_signed
def status_callback(request: HttpRequest) -> HttpResponse:
    """Apply a delivery report; repeated, late and unknown ones change nothing and answer 200."""
    params = request.POST
    if not params.get("MessageSid"):
        return HttpResponseBadRequest("MessageSid is required.")
    adapter = adapter_for_params(params)
    update = adapter.parse_status(params)
    provider_status_apply(
        channel=adapter.channel,
        provider_sid=update.provider_sid,
        status=update.status,
        error_code=update.error_code,
    )
    return _twiml()


@require_GET
def outbound_media(request: HttpRequest, token: str) -> FileResponse:
    """An outbound attachment, for Twilio to fetch: the signed token is the only key."""
    try:
        public_id = signing.loads(token, salt=MEDIA_SALT, max_age=MEDIA_URL_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404 from exc
    attachment = get_object_or_404(
        Attachment, public_id=public_id, message__direction=MessageDirection.OUTBOUND
    )
    if not attachment.file:
        raise Http404
    # Served without authentication: never inline, never as anything that could run here.
    content_type = attachment.content_type
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name or attachment.file.name.rsplit("/", 1)[-1],
        content_type=content_type if content_type in ACCEPTED else "application/octet-stream",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    return response

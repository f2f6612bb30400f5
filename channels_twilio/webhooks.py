"""Twilio's webhooks: "a message comes in" (SMS, MMS, WhatsApp) and status callbacks.

Each request is checked against ``X-Twilio-Signature`` first (``channels_twilio.signature``)
and answered with empty TwiML at once. An inbound message is only stored as it came (one
insert) and queued: a worker routes it and fetches its media (``ingest.py``). A status
callback is applied in the request: it is one locked update.
"""

from datetime import timedelta
from urllib.parse import quote_from_bytes

from django.core import signing
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from channels_twilio.adapter import MAX_MEDIA, MEDIA_SALT, twilio_adapter_for_params
from channels_twilio.signature import twilio_signed
from inbox.models import Attachment, MessageDirection
from inbox.pure.media_types import ACCEPTED
from inbox.pure.storable import storable_text
from inbox.services.status import provider_status_apply

from .ingest import webhook_store
from .tasks import wake_ingest

MAX_SID_LENGTH = 64  # Twilio's are 34 characters
# How long Twilio may fetch an outbound attachment after the message was handed over.
MEDIA_URL_MAX_AGE = timedelta(days=2)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _twiml(*, outcome: str) -> HttpResponse:
    """Twilio's answer; ``outcome`` is what the webhook metrics count it as."""
    response = HttpResponse(EMPTY_TWIML, content_type="text/xml")
    response.outcome = outcome
    return response


@twilio_signed
def inbound_message(request: HttpRequest) -> HttpResponse:
    """Store the payload as it was signed; what the database cannot hold (NUL) is cleaned
    from the fields that are read here and when the message is routed, not from the payload."""
    params = request.POST
    message_sid = storable_text(params.get("MessageSid", ""))
    if not (message_sid and params.get("From") and params.get("To")):
        return HttpResponseBadRequest("MessageSid, From and To are required.")
    if len(message_sid) > MAX_SID_LENGTH:
        return HttpResponseBadRequest("MessageSid is too long.")
    try:
        num_media = int(params.get("NumMedia") or 0)
    except ValueError:
        return HttpResponseBadRequest("NumMedia must be a number.")
    if not 0 <= num_media <= MAX_MEDIA:
        return HttpResponseBadRequest(f"NumMedia must be between 0 and {MAX_MEDIA}.")
    stored = webhook_store(
        channel=twilio_adapter_for_params(params).channel,
        message_sid=message_sid,
        payload=_signed_form(request),
        received_at=timezone.now(),
    )
    if stored is None:  # a redelivery of a stored webhook
        return _twiml(outcome="duplicate")
    wake_ingest()
    return _twiml(outcome="stored")


# Bytes a form body keeps as they are; any other (not ASCII, or a control character such as
# NUL) is percent-encoded, which the form decodes to the same parameters.
_FORM_SAFE = bytes(range(0x20, 0x7F))


def _signed_form(request: HttpRequest) -> str:
    """The signed parameters, form-encoded: Twilio's own body when it is a form (always),
    as ASCII text whatever bytes it carried.

    A body that is not UTF-8 was read as ISO-8859-1 for the signature check (Django's
    fallback); it is kept in that reading, so it is routed as it was checked.
    """
    if request.content_type != "application/x-www-form-urlencoded":
        return request.POST.urlencode()
    body = request.body
    try:
        body.decode()
    except UnicodeDecodeError:
        body = body.decode("iso-8859-1").encode()
    return quote_from_bytes(body, safe=_FORM_SAFE)


@twilio_signed
def status_callback(request: HttpRequest) -> HttpResponse:
    """Apply a delivery report; repeated, late and unknown ones change nothing and answer 200."""
    params = request.POST
    adapter = twilio_adapter_for_params(params)
    update = adapter.parse_status(params)
    if not update.provider_sid:
        return HttpResponseBadRequest("MessageSid is required.")
    provider_status_apply(
        channel=adapter.channel,
        provider_sid=update.provider_sid,
        status=update.status,
        error_code=update.error_code,
    )
    return _twiml(outcome="applied")


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

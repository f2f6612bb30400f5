"""The check every Twilio webhook passes first: ``X-Twilio-Signature`` (F-OP1).

The signature is checked with the auth token over ``PUBLIC_BASE_URL`` + the path Twilio
called (the URL Twilio signed, even behind a proxy). A refusal is logged with the URL that
was checked.
"""

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from converse.counters import WEBHOOKS

log = logging.getLogger(__name__)

# Twilio posts a few kilobytes at most (1,600 characters of body, ten media URLs).
MAX_WEBHOOK_BYTES = 64 * 1024


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
            WEBHOOKS.labels(webhook=view.__name__, outcome="too_large").inc()
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
            WEBHOOKS.labels(webhook=view.__name__, outcome="forbidden").inc()
            return HttpResponseForbidden("Invalid Twilio signature.")
        response = view(request)
        outcome = getattr(response, "outcome", None) or f"http_{response.status_code}"
        WEBHOOKS.labels(webhook=view.__name__, outcome=outcome).inc()
        return response

    return checked

"""GET /readyz: is the backlog being worked off? For monitoring, not the public.

``/healthz`` says the process is alive (database and broker answer); ``/readyz`` says the
work gets done: 503 when the oldest unrouted inbound message or the oldest send waiting for
a worker is older than its threshold, or no worker has beaten recently. Monitoring reads it
(and ``/metrics``) with ``Authorization: Bearer <OPERATIONS_TOKEN>``; an admin's session
reads it in a browser; anyone else gets a 403.
"""

import hmac

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .backlog import Backlog, backlog_at


def operations_allowed(request: HttpRequest) -> bool:
    """The operations token in the Authorization header, or a signed-in admin."""
    token = settings.OPERATIONS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    user = request.user
    return user.is_authenticated and user.is_active and user.is_admin


def forbidden() -> JsonResponse:
    return JsonResponse(
        {"detail": "An operations token or an admin session is needed."}, status=403
    )


def _failing(backlog: Backlog) -> list[str]:
    failing = []
    if (backlog.inbound_oldest_age or 0) > settings.READY_MAX_INBOUND_AGE_SECONDS:
        failing.append("inbound")
    if (backlog.sends_oldest_age or 0) > settings.READY_MAX_SEND_AGE_SECONDS:
        failing.append("sends")
    if backlog.heartbeat_age is None or (
        backlog.heartbeat_age > settings.READY_MAX_HEARTBEAT_AGE_SECONDS
    ):
        failing.append("worker")
    return failing


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    if not operations_allowed(request):
        return forbidden()
    backlog = backlog_at(now=timezone.now())
    failing = _failing(backlog)
    body = {
        "status": "not ready" if failing else "ready",
        "failing": failing,
        "inbound": {
            "waiting": backlog.inbound_waiting,
            "oldest_age_seconds": backlog.inbound_oldest_age,
            "given_up": backlog.inbound_given_up,
            "max_age_seconds": settings.READY_MAX_INBOUND_AGE_SECONDS,
        },
        "sends": {
            "waiting": backlog.sends_waiting,
            "oldest_age_seconds": backlog.sends_oldest_age,
            "max_age_seconds": settings.READY_MAX_SEND_AGE_SECONDS,
        },
        "worker": {
            "heartbeat_age_seconds": backlog.heartbeat_age,
            "max_age_seconds": settings.READY_MAX_HEARTBEAT_AGE_SECONDS,
        },
    }
    return JsonResponse(body, status=503 if failing else 200)

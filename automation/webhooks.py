"""Outgoing webhooks, an action of rules and macros: a JSON POST about the conversation,
signed, logged, retried with back-off, to public addresses only (``public_http``).

Signature: ``X-Converse-Signature: sha256=<hex>``, the HMAC-SHA256 with the organisation's
webhook secret (``AUTOMATION_WEBHOOK_SECRET``) of ``<timestamp>.<body>``, where the
timestamp (Unix seconds) is sent as ``X-Converse-Timestamp``: a receiver recomputes it and
refuses old timestamps, so a captured request cannot be replayed later.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import time
from dataclasses import dataclass

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inbox.enqueue import enqueue
from inbox.models import Conversation

from .models import WebhookDelivery
from .public_http import Blocked, address_allowed, check_url, post_public

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def sign(body: bytes, timestamp: int) -> str:
    key = settings.AUTOMATION_WEBHOOK_SECRET.encode()
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_url_clean(url: str) -> str:
    """A URL a webhook may be saved with (its address is checked again at every call)."""
    url = (url or "").strip()
    _, host, _ = check_url(url)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return url  # a name: resolved and checked at every call
    if not address_allowed(literal):
        raise Blocked(f"{host} is not a public address")
    return url


def webhook_queue(
    *, conversation: Conversation, url: str, source: str, event: str, rule_id: int | None
) -> None:
    """Log a delivery of what happened to ``conversation`` and queue its POST on commit."""
    payload = {
        "event": event,
        "source": source,
        "conversation": {
            "id": conversation.public_id,
            "status": conversation.status,
            "customer": conversation.customer_address,
            "sender_id": conversation.sender_id.address,
            "channel": conversation.sender_id.channel,
            "owner": conversation.owner.username if conversation.owner_id else None,
        },
        "at": timezone.now().isoformat(),
    }
    delivery = WebhookDelivery.objects.create(
        url=url, payload=payload, source=source[:100], conversation=conversation, rule_id=rule_id
    )
    from .tasks import deliver_webhook  # the tasks import this module

    transaction.on_commit(lambda: enqueue(deliver_webhook, delivery.pk))


@dataclass(frozen=True)
class Attempt:
    retry: bool


def webhook_deliver(*, delivery_id: int) -> Attempt:
    """POST one delivery; record the answer. A blocked address or a 4xx is final (a retry
    would get the same), a network error or a 5xx is retried until MAX_ATTEMPTS."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, state="pending").first()
    if delivery is None:
        return Attempt(retry=False)
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Converse-Webhooks",
        "X-Converse-Timestamp": str(timestamp),
        "X-Converse-Signature": sign(body, timestamp),
    }
    status, error, final = None, "", False
    try:
        answer = post_public(delivery.url, body=body, headers=headers)
        status = answer.status
        final = status < 500 and status != 429
        if status >= 300:
            error = f"HTTP {status}"
    except Blocked as blocked:
        error, final = f"blocked: {blocked}", True
    except (urllib3.exceptions.HTTPError, OSError) as failed:
        error = f"network error: {type(failed).__name__}"
    attempts = delivery.attempts + 1
    state = (
        "delivered" if not error else ("failed" if final or attempts >= MAX_ATTEMPTS else "pending")
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1,
        state=state,
        last_status=status,
        last_error=error[:300],
        last_attempt_at=timezone.now(),
    )
    if error:
        log.warning("webhook %s to %s: %s (attempt %d)", delivery.pk, delivery.url, error, attempts)
    return Attempt(retry=state == "pending")

"""Inbound webhooks: stored in one insert while Twilio waits, routed by a worker (F-OP1).

``webhook_store`` is all the request does besides checking the signature. The task
``ingest_inbound`` calls ``webhook_process``, which hands the payload to the inbox
(``message_receive``) and may run any number of times: the message's unique provider SID
keeps it single. ``webhooks_unprocessed`` is what beat re-queues when a task was never
queued (broker down) or its worker died.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone

from channels_whatsapp.adapter import TwilioWhatsAppAdapter
from inbox.models import Channel
from inbox.services.inbound import UnknownSender, message_receive

from .adapter import TwilioSmsAdapter
from .models import InboundWebhook

log = logging.getLogger(__name__)

ADAPTERS = {Channel.SMS: TwilioSmsAdapter(), Channel.WHATSAPP: TwilioWhatsAppAdapter()}
# A payload not processed this long after it came is re-queued by the sweep...
SWEEP_AFTER = timedelta(minutes=1)
# ... unless this many workers already started on it and failed: that needs a person.
MAX_ATTEMPTS = 5

_INSERT = (
    "INSERT INTO {table} (channel, message_sid, payload, received_at, attempts, outcome) "
    "VALUES (%s, %s, %s, %s, 0, '') ON CONFLICT (channel, message_sid) DO NOTHING RETURNING id"
)


@dataclass(frozen=True)
class Processed:
    outcome: str
    # Inbound media to fetch: the new message's attachments.
    attachment_ids: tuple[int, ...] = ()


def adapter_for_params(params: QueryDict) -> TwilioSmsAdapter:
    """WhatsApp traffic is told apart by its ``whatsapp:`` addresses."""
    address = params.get("From", "") or params.get("To", "")
    return ADAPTERS[Channel.WHATSAPP if address.startswith("whatsapp:") else Channel.SMS]


def webhook_store(
    *, channel: str, message_sid: str, payload: str, received_at: datetime
) -> int | None:
    """Store a payload unless one with this (channel, MessageSid) is; return its new id.

    None for a duplicate. One statement, committed on its own: raw SQL because this is the
    whole cost of a webhook, and the ORM has no INSERT … ON CONFLICT DO NOTHING RETURNING.
    """
    sql = _INSERT.format(table=connection.ops.quote_name(InboundWebhook._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                channel,
                message_sid,
                payload,
                connection.ops.adapt_datetimefield_value(received_at),
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def webhook_process(*, webhook_id: int) -> Processed | None:
    """Turn a stored payload into the customer's message; None if that was done already.

    Counts the attempt first (a conditional UPDATE on an unprocessed row), so a payload
    that keeps failing is eventually left for a person rather than retried for ever.
    """
    started = InboundWebhook.objects.filter(pk=webhook_id, processed_at__isnull=True).update(
        attempts=F("attempts") + 1
    )
    if not started:
        return None
    webhook = InboundWebhook.objects.get(pk=webhook_id)
    inbound = ADAPTERS[webhook.channel].parse_inbound(QueryDict(webhook.payload))
    processed = Processed(InboundWebhook.Outcome.DUPLICATE)
    try:
        message, created = message_receive(inbound=inbound, received_at=webhook.received_at)
    except UnknownSender:
        log.warning(
            "inbound %s to %s: not one of our sender IDs; nothing stored",
            inbound.provider_sid,
            inbound.to_address,
        )
        processed = Processed(InboundWebhook.Outcome.UNKNOWN_SENDER)
    else:
        if created:
            media = message.attachments.values_list("pk", flat=True) if inbound.media else ()
            processed = Processed(InboundWebhook.Outcome.STORED, tuple(media))
    InboundWebhook.objects.filter(pk=webhook_id).update(
        processed_at=timezone.now(), outcome=processed.outcome
    )
    return processed


def webhooks_unprocessed(*, now: datetime, limit: int = 500) -> list[int]:
    """Payloads no worker finished within ``SWEEP_AFTER``, oldest first; logs given-up ones."""
    pending = InboundWebhook.objects.filter(
        processed_at__isnull=True, received_at__lt=now - SWEEP_AFTER
    )
    given_up = pending.filter(attempts__gte=MAX_ATTEMPTS).count()
    if given_up:
        log.error(
            "%d inbound webhooks failed %d times and are left unprocessed (see InboundWebhook)",
            given_up,
            MAX_ATTEMPTS,
        )
    return list(
        pending.filter(attempts__lt=MAX_ATTEMPTS)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )

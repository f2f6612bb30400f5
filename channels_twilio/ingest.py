"""Inbound webhooks: stored in one insert while Twilio waits, routed by a worker (F-OP1).

``webhook_store`` is all the request does besides checking the signature (and, at most once
per ``tasks.WAKE_WINDOW``, queueing a drain). The task ``ingest_inbound`` runs
``webhooks_route``: it claims stored payloads oldest first and hands each to the inbox
(``message_receive``). Routing may be tried any number of times: a payload is marked
processed in the transaction that stores its message, and the message's unique provider SID
keeps it single anyway. Beat queues a drain when payloads wait longer than
``INBOUND_SWEEP_AFTER_SECONDS`` (a wake-up lost because the broker was down, a worker that
died); a worker that took a payload ``INBOUND_CLAIM_LEASE_SECONDS`` ago and did not finish
it has died, and the payload is taken again.
"""

import logging
from datetime import datetime, timedelta
from itertools import takewhile

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from channels_twilio import client
from channels_twilio.adapter import twilio_adapter
from converse.counters import INBOUND_ROUTED
from inbox.models import Attachment
from inbox.services.inbound import UnknownSender, message_receive

from .models import InboundWebhook

log = logging.getLogger(__name__)

# A payload still unprocessed ``INBOUND_SWEEP_AFTER_SECONDS`` after it came makes the sweep
# queue a drain, unless its routing failed this many times: that needs a person.
MAX_ATTEMPTS = 5
# Fresh payloads one worker takes at once: one commit claims them all. Should the worker
# die, the rest of its batch waits out the claim lease.
CLAIM_BATCH = 10
# Processed payloads are kept this long for support, then deleted: the messages stay.
KEEP_PROCESSED = timedelta(days=7)

_INSERT = (
    "INSERT INTO {table} (channel, message_sid, payload, received_at, attempts, outcome) "
    "VALUES (%s, %s, %s, %s, 0, '') ON CONFLICT (channel, message_sid) DO NOTHING RETURNING id"
)


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


def _routable() -> QuerySet[InboundWebhook]:
    return InboundWebhook.objects.filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)


def _claim_lease() -> timedelta:
    return timedelta(seconds=settings.INBOUND_CLAIM_LEASE_SECONDS)


def _claim(*, skip: list[int], size: int = CLAIM_BATCH) -> list[InboundWebhook]:
    """Take the oldest payloads that no live worker holds, and count the attempt.

    Fresh payloads are taken up to ``size`` at once; one that was tried before is taken
    alone, so a payload that kills its worker takes no other payload down with it again.
    Committed before routing starts: a payload whose routing kills the worker process
    still counts toward ``MAX_ATTEMPTS``, and its lease lets the other payloads through.
    """
    now = timezone.now()
    with transaction.atomic():
        candidates = list(
            _routable()
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _claim_lease()))
            .exclude(pk__in=skip)
            .order_by("received_at")
            .select_for_update(skip_locked=True)[:size]
        )
        if candidates and candidates[0].attempts:
            claimed = candidates[:1]
        else:
            claimed = list(takewhile(lambda webhook: not webhook.attempts, candidates))
        if claimed:
            InboundWebhook.objects.filter(pk__in=[webhook.pk for webhook in claimed]).update(
                attempts=F("attempts") + 1, claimed_at=now
            )
    return claimed


def webhooks_route(*, limit: int) -> int:
    """Route stored payloads, oldest first, until none is left to claim (or ``limit`` were
    routed); return how many were.

    Payloads are claimed (``_claim``), then each is routed in one transaction that stores
    its message and marks it processed under the payload's row lock: concurrent drains
    share the backlog, and a payload taken by a worker that died is taken again once its
    lease has passed. A payload whose routing raises is released for the next drain.
    """
    not_routed: list[int] = []
    routed = 0
    while routed < limit:
        claimed = _claim(skip=not_routed, size=min(CLAIM_BATCH, limit - routed))
        if not claimed:
            return routed
        for webhook in claimed:
            if _route_claimed(webhook):
                routed += 1
            else:
                not_routed.append(webhook.pk)
    return routed


def _route_claimed(claimed: InboundWebhook) -> bool:
    """Route one claimed payload; False when this drain did not: routing raised (the
    payload is released for the next drain) or another drain had finished it."""
    from .tasks import fetch_inbound_media  # the tasks call this module: import here

    try:
        with transaction.atomic():
            webhook = (
                InboundWebhook.objects.select_for_update()
                .filter(pk=claimed.pk, processed_at__isnull=True)
                .first()
            )
            if webhook is None:
                return False  # another drain finished it after its lease had passed
            for attachment_id in _route(webhook):
                transaction.on_commit(lambda pk=attachment_id: fetch_inbound_media.delay(pk))
    except Exception:
        log.exception("inbound webhook %s (%s) not routed", claimed.pk, claimed.message_sid)
        InboundWebhook.objects.filter(pk=claimed.pk).update(claimed_at=None)
        INBOUND_ROUTED.labels(outcome="error").inc()
        return False
    INBOUND_ROUTED.labels(outcome=webhook.outcome).inc()
    return True


def _route(webhook: InboundWebhook) -> list[int]:
    """Hand one claimed payload to the inbox and mark it processed; return media to fetch."""
    inbound = twilio_adapter(webhook.channel).parse_inbound(QueryDict(webhook.payload))
    media: list[int] = []
    try:
        message, created = message_receive(inbound=inbound, received_at=webhook.received_at)
    except UnknownSender:
        log.warning(
            "inbound %s to %s: not one of our sender IDs; nothing stored",
            inbound.provider_sid,
            inbound.to_address,
        )
        outcome = InboundWebhook.Outcome.UNKNOWN_SENDER
    else:
        outcome = InboundWebhook.Outcome.STORED if created else InboundWebhook.Outcome.DUPLICATE
        if created and inbound.media:
            media = list(message.attachments.values_list("pk", flat=True))
    webhook.processed_at = timezone.now()
    webhook.outcome = outcome
    webhook.save(update_fields=["processed_at", "outcome"])
    return media


def webhooks_waiting(*, now: datetime) -> int:
    """How many payloads are still to route ``INBOUND_SWEEP_AFTER_SECONDS`` after they came;
    logs the ones left for a person."""
    late = InboundWebhook.objects.filter(
        processed_at__isnull=True,
        received_at__lt=now - timedelta(seconds=settings.INBOUND_SWEEP_AFTER_SECONDS),
    )
    given_up = late.filter(attempts__gte=MAX_ATTEMPTS).count()
    if given_up:
        log.error(
            "%d inbound webhooks failed %d times and are left unprocessed (see InboundWebhook)",
            given_up,
            MAX_ATTEMPTS,
        )
    return late.filter(attempts__lt=MAX_ATTEMPTS).count()


def webhooks_forget(*, now: datetime) -> int:
    """Delete payloads processed more than ``KEEP_PROCESSED`` ago; return how many.

    A redelivery after that stores a new payload, and its routing finds the message.
    """
    deleted, _ = InboundWebhook.objects.filter(processed_at__lt=now - KEEP_PROCESSED).delete()
    return deleted


# A fetch normally runs within seconds; the sweep leaves younger media to it.
MEDIA_SWEEP_AFTER_MINUTES = 10


def media_to_fetch(attachment_id: int) -> Attachment | None:
    """The inbound attachment, while its file is still to be fetched from its URL."""
    return Attachment.objects.filter(pk=attachment_id, file="").exclude(source_url="").first()


def media_missing(*, now: datetime) -> list[int]:
    """Inbound attachments of recent messages whose file no fetch has stored.

    Only messages from the last two hours are looked at, so a file the provider refuses is
    not asked for forever. Media URLs that are not Twilio's are left alone, as the fetch
    itself would refuse them."""
    candidates = (
        Attachment.objects.filter(
            file="",
            message__created_at__lt=now - timedelta(minutes=MEDIA_SWEEP_AFTER_MINUTES),
            message__created_at__gt=now - timedelta(hours=2),
        )
        .exclude(source_url="")
        .values_list("pk", "source_url")[:500]
    )
    return [pk for pk, url in candidates if client.media_url_allowed(url)]

"""Celery tasks of the Twilio channel: thin wrappers taking ids."""

import logging
from datetime import timedelta

import requests
from celery import shared_task
from django.utils import timezone

from inbox.models import Attachment
from inbox.services.inbound import attachment_content_store

from . import client
from .ingest import webhook_process, webhooks_unprocessed

log = logging.getLogger(__name__)

MAX_MEDIA_RETRIES = 5

# A fetch normally runs within seconds; the sweep leaves younger media to it.
MEDIA_SWEEP_AFTER_MINUTES = 10


@shared_task(acks_late=True)
def ingest_inbound(webhook_id: int) -> None:
    """Route a stored inbound webhook into its conversation, then fetch its media."""
    processed = webhook_process(webhook_id=webhook_id)
    for attachment_id in processed.attachment_ids if processed else ():
        fetch_inbound_media.delay(attachment_id)


def enqueue_ingest(webhook_id: int) -> None:
    """Queue the routing of a stored webhook. A broker that is down is logged, not raised:
    the payload is safe in the database and ``requeue_unprocessed_webhooks`` queues it."""
    try:
        with ingest_inbound.app.producer_or_acquire() as producer:
            # Give up at once rather than after seconds of reconnecting: Twilio is waiting.
            producer.connection.ensure_connection(max_retries=0)
            ingest_inbound.apply_async(args=[webhook_id], producer=producer, retry=False)
    except Exception:
        log.warning(
            "inbound webhook %s stored but not queued; the sweep will", webhook_id, exc_info=True
        )


@shared_task
def requeue_unprocessed_webhooks() -> int:
    """Queue again the inbound webhooks that no worker processed (lost task, dead worker)."""
    ids = webhooks_unprocessed(now=timezone.now())
    for webhook_id in ids:
        ingest_inbound.delay(webhook_id)
    if ids:
        log.warning("re-queued %d unprocessed inbound webhooks", len(ids))
    return len(ids)


@shared_task(bind=True, acks_late=True, max_retries=MAX_MEDIA_RETRIES)
def fetch_inbound_media(self, attachment_id: int) -> None:
    """Download an inbound attachment from Twilio (with the account's credentials) and store it.

    Already fetched: nothing to do. Network trouble or a 5xx: retried with back-off.
    """
    attachment = Attachment.objects.filter(pk=attachment_id, file="").exclude(source_url="").first()
    if attachment is None:
        return
    try:
        content, content_type = client.media_download(attachment.source_url)
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code < 500:
            log.warning("media %s refused by the provider: %s", attachment.public_id, exc)
            return
        raise self.retry(countdown=2 ** (self.request.retries + 1)) from exc
    except requests.RequestException as exc:
        raise self.retry(countdown=2 ** (self.request.retries + 1)) from exc
    attachment_content_store(
        attachment_id=attachment_id,
        content=content,
        content_type=content_type or attachment.content_type,
    )


@shared_task
def fetch_missing_media() -> int:
    """Queue again the inbound media of recent messages still not fetched.

    Covers a fetch that was never queued (the broker failed after the message was stored;
    Twilio's redelivery is then a duplicate) or whose worker died. Only messages from the
    last two hours are looked at, so a file the provider refuses is not asked for forever.
    """
    now = timezone.now()
    missing = list(
        Attachment.objects.filter(
            file="",
            message__created_at__lt=now - timedelta(minutes=MEDIA_SWEEP_AFTER_MINUTES),
            message__created_at__gt=now - timedelta(hours=2),
        )
        .exclude(source_url="")
        .values_list("pk", flat=True)[:500]
    )
    for attachment_id in missing:
        fetch_inbound_media.delay(attachment_id)
    return len(missing)

"""Celery tasks of the Twilio channel: thin wrappers taking ids."""

import logging
import time

import requests
from celery import shared_task
from django.utils import timezone

from channels_twilio import client
from inbox.services.inbound import attachment_content_store

from .ingest import (
    media_missing,
    media_to_fetch,
    webhooks_forget,
    webhooks_route,
    webhooks_waiting,
)

log = logging.getLogger(__name__)

MAX_MEDIA_RETRIES = 5
# Payloads one drain routes before handing over to a new task.
INGEST_BATCH = 200
# Seconds a web process waits before queueing another drain (see _Waker).
WAKE_WINDOW = 0.05


@shared_task(acks_late=True)
def ingest_inbound() -> int:
    """Route the stored inbound webhooks into conversations; go on in a new task if more
    than one batch waits, so other queued work gets its turn."""
    routed = webhooks_route(limit=INGEST_BATCH)
    if routed == INGEST_BATCH:
        ingest_inbound.delay()
    return routed


class _Waker:
    """Queues ``ingest_inbound`` for stored webhooks, at most once per ``WAKE_WINDOW`` per
    process: publishing a Celery task costs more than the rest of a webhook together.

    The drain is queued to run when the window ends, so every payload this process stored
    in the window (without publishing) is committed by the time it runs. A publish that
    fails is logged, not raised, and the next webhook tries again; the payload is safe in
    the database and ``requeue_unprocessed_webhooks`` queues a drain for it.
    """

    last = float("-inf")

    def wake(self) -> None:
        now = time.monotonic()
        if now - self.last < WAKE_WINDOW:
            return
        self.last = now
        try:
            with ingest_inbound.app.producer_or_acquire() as producer:
                # Give up at once rather than after seconds of reconnecting: Twilio waits.
                producer.connection.ensure_connection(max_retries=0)
                ingest_inbound.apply_async(countdown=WAKE_WINDOW, producer=producer, retry=False)
        except Exception:
            self.last = float("-inf")
            log.warning("inbound webhook stored but no drain queued; the sweep will", exc_info=True)


wake_ingest = _Waker().wake


@shared_task
def requeue_unprocessed_webhooks() -> int:
    """Queue a drain when stored inbound webhooks wait too long (lost wake-up, dead worker)."""
    waiting = webhooks_waiting(now=timezone.now())
    if waiting:
        log.warning("%d inbound webhooks waited too long; draining them", waiting)
        ingest_inbound.delay()
    return waiting


@shared_task
def forget_processed_webhooks() -> int:
    return webhooks_forget(now=timezone.now())


@shared_task(bind=True, acks_late=True, max_retries=MAX_MEDIA_RETRIES)
def fetch_inbound_media(self, attachment_id: int) -> None:
    """Download an inbound attachment from Twilio (see ``client.media_download``) and store it.

    Already fetched: nothing to do. Network trouble or a 5xx: retried with back-off. A URL
    that is not Twilio's, or a file over the size cap: refused for good.
    """
    attachment = media_to_fetch(attachment_id)
    if attachment is None:
        return
    try:
        content, content_type = client.media_download(attachment.source_url)
    except client.MediaRefused as exc:
        log.warning("media %s not fetched: %s", attachment.public_id, exc)
        return
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
    Twilio's redelivery is then a duplicate) or whose worker died (``ingest.media_missing``).
    """
    missing = media_missing(now=timezone.now())
    for attachment_id in missing:
        fetch_inbound_media.delay(attachment_id)
    return len(missing)

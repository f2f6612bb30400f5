"""Celery tasks of the inbox: thin wrappers that take ids and call one service."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Message, MessageStatus
from .services.conversation_status import conversations_auto_close
from .services.held_messages import held_message_release, held_messages_release_due
from .services.sending import enqueue_dispatch, message_dispatch, message_fail_after_retries
from .services.service_levels import service_levels_tick
from .services.status import early_statuses_forget
from .services.transcripts import transcript_export_build

log = logging.getLogger(__name__)

MAX_SEND_RETRIES = 6
# A status callback whose SID is still none of ours after this long was not for our send.
EARLY_STATUS_KEPT_FOR = timedelta(days=1)


@shared_task(bind=True, acks_late=True, max_retries=MAX_SEND_RETRIES)
def deliver_message(self, message_id: int) -> None:
    outcome = message_dispatch(message_id=message_id)
    if not outcome.retry:
        return
    if self.request.retries >= self.max_retries:
        message_fail_after_retries(message_id=message_id, error=outcome.error)
        return
    # Exponential back-off: 2, 4, 8 … seconds.
    raise self.retry(countdown=2 ** (self.request.retries + 1))


@shared_task
def recover_stuck_messages() -> int:
    """Re-enqueue outbound messages a dead worker or a lost task left unsent.

    A message is stuck when it is still queued without a provider id well after it was
    saved (or after the send slot it was paced to). A claim older than the window is
    released first: its worker is gone. The next attempt looks the message up at the
    provider before sending, in case the dead worker's request got through.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.STUCK_MESSAGE_AFTER_SECONDS)
    stuck = Message.objects.filter(
        Q(scheduled_for__isnull=True) | Q(scheduled_for__lt=cutoff),
        status=MessageStatus.QUEUED,
        provider_sid__isnull=True,
        created_at__lt=cutoff,
    )
    stuck.filter(dispatch_started_at__lt=cutoff).update(dispatch_started_at=None)
    ids = list(stuck.filter(dispatch_started_at__isnull=True).values_list("pk", flat=True)[:500])
    for message_id in ids:
        enqueue_dispatch(message_id)
    if ids:
        log.warning("re-enqueued %d stuck outbound messages", len(ids))
    return len(ids)


@shared_task
def auto_close_conversations() -> int:
    closed = conversations_auto_close()
    if closed:
        log.info("auto-closed %d quiet conversations", closed)
    return closed


@shared_task
def service_level_tick() -> int:
    return service_levels_tick(period_seconds=settings.SERVICE_LEVEL_TICK_SECONDS)


@shared_task
def forget_early_statuses() -> int:
    return early_statuses_forget(received_before=timezone.now() - EARLY_STATUS_KEPT_FOR)


@shared_task(acks_late=True)
def build_transcript_pdf(export_id: int) -> None:
    transcript_export_build(export_id=export_id)


@shared_task(acks_late=True)
def release_held_message(message_id: int) -> bool:
    return held_message_release(message_id=message_id)


@shared_task
def release_due_held_messages() -> int:
    released = held_messages_release_due()
    if released:
        log.info("released %d messages held for business hours", released)
    return released

"""Celery tasks of the inbox: thin wrappers that take ids and call one service."""

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import Reject
from django.conf import settings
from django.utils import timezone

from converse.logs import log_about_message

from .models import Organisation
from .reports.kept import recompute as report_recompute
from .reports.kept import warm as reports_warm
from .reports.tally import tally_owners_settle
from .services.contact_import import contact_imports_requeue, contacts_import_run
from .services.conversation_status import conversations_auto_close
from .services.heartbeat import worker_heartbeat_record
from .services.held_messages import held_message_release, held_messages_release_due
from .services.sending import (
    message_dispatch,
    message_fail_after_retries,
    stuck_messages_requeue,
)
from .services.service_levels import service_levels_tick
from .services.snooze import snoozes_wake
from .services.status import early_statuses_forget
from .services.transcripts import transcript_export_build, transcript_exports_requeue

log = logging.getLogger(__name__)

MAX_SEND_RETRIES = 6
# A status callback whose SID is still none of ours after this long was not for our send.
EARLY_STATUS_KEPT_FOR = timedelta(days=1)


@shared_task(bind=True, acks_late=True, max_retries=MAX_SEND_RETRIES)
def deliver_message(self, message_id: int) -> None:
    # Exponential back-off: 2, 4, 8 … seconds.
    retry_in = 2 ** (self.request.retries + 1)
    outcome = message_dispatch(message_id=message_id, retry_in=retry_in)
    if not outcome.retry:
        return
    if self.request.retries >= self.max_retries:
        message_fail_after_retries(message_id=message_id, error=outcome.error)
        return
    try:
        raise self.retry(countdown=retry_in)
    except Reject:
        # The retry could not be published (the broker is down). The message is held until
        # its retry is due and unclaimed: the stuck-message sweep queues it from then.
        with log_about_message(outcome.public_id):
            log.warning("retry of send %s not queued; the sweep will send it", outcome.public_id)


@shared_task
def recover_stuck_messages() -> int:
    queued = stuck_messages_requeue(now=timezone.now())
    if queued:
        log.warning("re-enqueued %d stuck outbound messages", queued)
    return queued


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


@shared_task(bind=True)
def worker_heartbeat(self) -> None:
    """Beat sends it every ``WORKER_HEARTBEAT_SECONDS``: readiness reads how recent it is."""
    worker_heartbeat_record(worker=self.request.hostname or "worker", at=timezone.now())


@shared_task
def settle_report_tallies() -> int:
    return tally_owners_settle()


# Acknowledged on receipt: a refresh lost with its worker is asked for again by the next
# view, and one that kills its worker is not delivered again and again.
@shared_task(acks_late=False)
def refresh_report(asked: dict) -> None:
    report_recompute(asked)


@shared_task
def warm_reports() -> int:
    """Beat sends it every ``REPORTS_WARM_SECONDS``."""
    return reports_warm(now=timezone.now())


@shared_task
def wake_snoozed_conversations() -> int:
    return snoozes_wake(now=timezone.now())


@shared_task(acks_late=True)
def build_transcript_pdf(export_id: int) -> None:
    transcript_export_build(export_id=export_id)


@shared_task
def requeue_waiting_transcripts() -> int:
    return transcript_exports_requeue(now=timezone.now())


@shared_task
def requeue_lost_contact_imports() -> int:
    return contact_imports_requeue(now=timezone.now())


@shared_task(acks_late=True)
def import_contacts(import_id: int) -> None:
    contacts_import_run(import_id=import_id, region=Organisation.load().region)


@shared_task(acks_late=True)
def release_held_message(message_id: int) -> bool:
    return held_message_release(message_id=message_id)


@shared_task
def release_due_held_messages() -> int:
    released = held_messages_release_due()
    if released:
        log.info("released %d messages held for business hours", released)
    return released

"""Beat keeps the local copy of the registered WhatsApp templates fresh."""

import logging

from celery import shared_task

from inbox.channels import SendError
from inbox.services.whatsapp_templates import whatsapp_templates_sync

log = logging.getLogger(__name__)


@shared_task
def sync_templates() -> None:
    try:
        count = whatsapp_templates_sync()
    except SendError as error:
        log.warning("WhatsApp templates not synced: %s", error)
        return
    log.info("WhatsApp templates synced: %d listed", count)

"""Celery tasks of the Twilio channel: thin wrappers taking ids."""

import logging

import requests
from celery import shared_task

from inbox.models import Attachment
from inbox.services.inbound import attachment_content_store

from . import client

log = logging.getLogger(__name__)

MAX_MEDIA_RETRIES = 5


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

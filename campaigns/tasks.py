"""The campaign worker: beat sweeps that start and release campaigns (``release``) and count
their figures again (``figures``)."""

import logging

from celery import shared_task

from inbox.enqueue import enqueue

from .figures import figures_refresh_due
from .release import campaigns_release_due

log = logging.getLogger(__name__)


@shared_task
def release_campaigns() -> int:
    released = campaigns_release_due()
    if released:
        log.info("released %d campaign sends", released)
    return released


@shared_task
def refresh_campaign_figures() -> int:
    return figures_refresh_due()


def enqueue_release() -> bool:
    """Run the sweep now (a campaign launched or resumed); the beat runs it anyway."""
    return enqueue(release_campaigns, later="the beat sweep will")

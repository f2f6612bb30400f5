"""The simulator's delivery reports: sent, then delivered, then read on WhatsApp."""

from celery import shared_task
from django.conf import settings

from inbox.models import Channel, Message
from inbox.services.status import provider_status_apply

from .numbers import FAILING_NUMBERS

STEPS = {
    Channel.SMS: ["sent", "delivered"],
    Channel.WHATSAPP: ["sent", "delivered", "read"],
}
MAX_WAITS = 10


@shared_task(bind=True, max_retries=MAX_WAITS)
def report_progress(self, channel: str, sid: str, step: int) -> None:
    """Report step ``step`` for message ``sid`` and schedule the next one."""
    to = (
        Message.objects.filter(channel=channel, provider_sid=sid)
        .values_list("conversation__customer_address", flat=True)
        .first()
    )
    if to is None:
        # The worker that sent it has not recorded the SID yet: look again shortly.
        raise self.retry(countdown=settings.SIMULATOR_STATUS_DELAY)
    status = STEPS[channel][step]
    failure = FAILING_NUMBERS.get(to)
    if failure is not None and not failure.at_send and status == "delivered":
        provider_status_apply(
            channel=channel, provider_sid=sid, status="undelivered", error_code=failure.code
        )
        return
    provider_status_apply(channel=channel, provider_sid=sid, status=status)
    if step + 1 < len(STEPS[channel]):
        report_progress.apply_async(
            args=[channel, sid, step + 1], countdown=settings.SIMULATOR_STATUS_DELAY
        )

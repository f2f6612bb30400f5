"""A worker SIGKILLed mid-campaign: every recipient reaches Twilio exactly once (PostgreSQL
and Redis only: real worker processes on a real broker)."""

import os
import signal
from collections import Counter

import pytest

from campaigns.models import CampaignSettings, Recipient
from campaigns.release import campaigns_release_due
from campaigns.services import campaign_launch
from converse.celery import app as celery_app
from inbox.models import Message
from inbox.tasks import recover_stuck_messages

from ...channels_sms.conftest import ACCOUNT_SID, AUTH_TOKEN
from ...support.workers import require_redis_and_postgres, running_worker, wait_for
from ..conftest import customer, sms_campaign

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENTS = 12


@pytest.mark.worker
@pytest.mark.timeout(300)  # two worker processes start on a shared, loaded machine
def test_a_worker_killed_mid_campaign_sends_every_recipient_exactly_once(
    fake_twilio,
    settings,
    admin,
    sms_sender,
    vip,
):
    require_redis_and_postgres()
    celery_app.control.purge()
    settings.STUCK_MESSAGE_AFTER_SECONDS = 3
    settings.SEND_CLAIM_LEASE_SECONDS = 3
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": fake_twilio.url,
        "STUCK_MESSAGE_AFTER_SECONDS": "3",
    }
    # Quiet hours open all day: the test runs at any hour.
    quiet = CampaignSettings.load()
    quiet.quiet_start, quiet.quiet_end = quiet.quiet_start.replace(hour=0), quiet.quiet_end.max
    quiet.save()
    for n in range(RECIPIENTS):
        customer(f"+1202555{n + 4000:04d}", f"Customer {n}", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip, body="Hi {{name}}, the sale is on.")
    fake_twilio.latency = 0.3  # each create takes a while: the kill lands mid-campaign
    with running_worker(**env) as first:
        campaign_launch(campaign=campaign, by=admin)  # queues the release for the worker
        assert wait_for(lambda: len(fake_twilio.creates) >= 4, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    sent = Recipient.objects.filter(campaign=campaign, state=Recipient.State.SENT)

    def all_sent() -> bool:
        campaigns_release_due()  # as beat would
        recover_stuck_messages()
        return sent.filter(message__provider_sid__isnull=False).count() == RECIPIENTS

    with running_worker(**env):
        assert wait_for(all_sent, timeout=90, every=1.0), "some recipients never reached Twilio"
    created = Counter(r.value("Body") for r in fake_twilio.creates)
    assert created == Counter(f"Hi Customer {n}, the sale is on." for n in range(RECIPIENTS))
    assert Message.objects.filter(direction="out").count() == RECIPIENTS

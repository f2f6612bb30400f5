"""A campaign's figures: counted by the worker's sweep when they may have changed, kept on
the campaign's row, and told by push to its page (campaigns.figures)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches

from campaigns.figures import CURSOR_KEY, SAFETY, campaign_figures_refresh, figures_refresh_due
from campaigns.models import Campaign
from campaigns.release import campaigns_release_due
from campaigns.services import campaign_cancel, campaign_launch
from inbox.live_events import events_after, head
from inbox.models import Contact
from inbox.views.stream import summary

from ..conftest import receive
from .conftest import MIDDAY, customer, launch_and_release, sms_campaign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cursor():
    caches["shared"].delete(CURSOR_KEY)


# Within the slower recount's wait (``figures.SAFETY``): only what the log names is counted.
SOON = MIDDAY + timedelta(minutes=2)


def campaign_events(after: int) -> list[str]:
    return [e.data["campaign"] for e in events_after(after) if e.kind == "campaign"]


@pytest.fixture
def finished(admin, sms_sender, vip, tasks) -> Campaign:
    """A campaign to Ann and Ben, sent and finished, its figures counted and the sweep's
    place in the live log taken."""
    customer("+12025550101", "Ann", label=vip)
    customer("+12025550102", "Ben", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    launch_and_release(campaign, admin, tasks)
    with time_machine.travel(MIDDAY, tick=False):
        campaigns_release_due()  # nothing left: finished
        figures_refresh_due()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FINISHED
    return campaign


def test_the_sweep_counts_a_running_campaign_and_tells_its_page(admin, sms_sender, vip, tasks):
    customer("+12025550101", "Ann", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    start = head()
    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        campaigns_release_due()
        assert figures_refresh_due() == 1
    campaign.refresh_from_db()
    assert (campaign.figures["audience"], campaign.figures["recipients"]) == (1, 1)
    assert campaign.figures_at == MIDDAY
    assert campaign_events(start) == [campaign.public_id]


def test_a_reply_to_a_finished_campaign_is_counted_at_the_next_sweep(finished, sms_sender):
    assert finished.figures["replied"] == 0
    start = head()
    with time_machine.travel(SOON, tick=False):
        receive(sms_sender, "+12025550101", "Tell me more")
        assert figures_refresh_due() == 1
    finished.refresh_from_db()
    assert finished.figures["replied"] == 1
    assert campaign_events(start) == [finished.public_id]


def test_what_concerns_no_campaign_counts_nothing_again(finished, alice_line):
    counted_at = finished.figures_at
    start = head()
    with time_machine.travel(SOON, tick=False):
        receive(alice_line, "+12025550199", "Unrelated")
        assert figures_refresh_due() == 0
    finished.refresh_from_db()
    assert finished.figures_at == counted_at
    assert campaign_events(start) == []


def test_a_cancel_is_counted_at_the_next_sweep(admin, sms_sender, vip):
    customer("+12025550101", "Ann", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    night = MIDDAY + timedelta(hours=10)  # 22:00 in Washington: Ann is held
    with time_machine.travel(night, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        campaigns_release_due()
        figures_refresh_due()
        campaign.refresh_from_db()
        assert (campaign.figures["held"], campaign.figures["cancelled"]) == (1, 0)
        campaign_cancel(campaign=campaign, by=admin)
        assert figures_refresh_due() == 1
    campaign.refresh_from_db()
    assert (campaign.figures["held"], campaign.figures["cancelled"]) == (0, 1)


def test_the_stream_names_the_campaigns_whose_figures_changed(finished):
    start = head()
    Campaign.objects.filter(pk=finished.pk).update(figures=None)  # as if never counted
    campaign_figures_refresh(campaign=finished)
    assert summary(events_after(start)) == {
        "k": ["campaign"],
        "c": [],
        "campaigns": [finished.public_id],
    }


def test_a_stop_in_another_thread_counts_as_opted_out_since(finished, alice_line):
    """Opt-out is the contact's: a STOP to another sender ID counts for the campaign too."""
    with time_machine.travel(SOON, tick=False):
        receive(alice_line, "+12025550101", "STOP")
        assert figures_refresh_due() == 1
    finished.refresh_from_db()
    assert finished.figures["opted_out"] == 1


def test_a_sweep_that_lost_its_place_reads_what_the_log_keeps(finished, sms_sender):
    with time_machine.travel(SOON, tick=False):
        receive(sms_sender, "+12025550101", "Tell me more")
        caches["shared"].delete(CURSOR_KEY)  # a cache emptied, or a new machine
        assert figures_refresh_due() == 1
    finished.refresh_from_db()
    assert finished.figures["replied"] == 1


def test_only_its_owner_and_the_admins_hear_a_campaign_change(finished, admin, alice, bob):
    from inbox.live_hub import Batch

    start = head()
    Campaign.objects.filter(pk=finished.pk).update(owner=alice, figures=None)
    finished.refresh_from_db()
    campaign_figures_refresh(campaign=finished)
    events = events_after(start)

    def heard(user) -> list[str]:
        import asyncio

        return [e.kind for e in asyncio.run(Batch(events).visible_to(user))]

    assert heard(alice) == ["campaign"]
    assert heard(admin) == ["campaign"]
    assert heard(bob) == []


def test_a_finished_campaign_is_counted_again_now_and_then(finished):
    """What the log cannot name (an opt-out by a contact import) is counted within SAFETY."""
    Contact.objects.filter(phone_e164="+12025550101").update(sms_opted_out_at=SOON)
    with time_machine.travel(SOON, tick=False):
        assert figures_refresh_due() == 0
    with time_machine.travel(MIDDAY + SAFETY + timedelta(seconds=1), tick=False):
        assert figures_refresh_due() == 1
    finished.refresh_from_db()
    assert finished.figures["opted_out"] == 1

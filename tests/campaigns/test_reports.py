"""Reports narrowed to a campaign: the conversations opened by replies to it."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Recipient
from inbox.models import Contact

from ..conftest import receive
from .conftest import MIDDAY, customer, launch_and_release, sms_campaign

pytestmark = pytest.mark.django_db(transaction=True)

REPORT = reverse("inbox:reports")
PERIOD = {"period": "custom", "from": "2026-12-06", "to": "2026-12-08"}
LATER = MIDDAY + timedelta(hours=2)


@pytest.fixture
def replied(admin, sms_sender, vip, tasks):
    """A campaign to Ann, Ben and Cal, whose thread was going before it; Ann and Cal
    answer it, Ben does not; Dan writes without any campaign."""
    with time_machine.travel(MIDDAY - timedelta(hours=3), tick=False):
        going = receive(sms_sender, "+12025550103", "An earlier question").conversation
    Contact.objects.filter(pk=going.contact_id).update(display_name="Cal")
    going.contact.labels.add(vip)
    customer("+12025550101", "Ann", label=vip)
    customer("+12025550102", "Ben", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    launch_and_release(campaign, admin, tasks)
    with time_machine.travel(MIDDAY + timedelta(minutes=5), tick=False):
        receive(sms_sender, "+12025550101", "Tell me more")
        receive(sms_sender, "+12025550101", "And the price?")
        receive(sms_sender, "+12025550103", "Thanks")
        receive(sms_sender, "+12025550104", "Unrelated question")
    ann = Recipient.objects.get(campaign=campaign, contact__display_name="Ann").conversation
    return {"campaign": campaign, "ann": ann}


def report(client, **params):
    with time_machine.travel(LATER, tick=False):
        response = client.get(REPORT, PERIOD | params)
    assert response.status_code == 200
    return {f.label: f for f in response.context["report"].headline}


def test_the_campaign_filter_keeps_the_conversations_its_replies_opened(client, admin, replied):
    client.force_login(admin)
    everything = report(client)
    assert everything["Conversations opened"].value == 3  # Cal's, Ann's and Dan's
    narrowed = report(client, campaign=replied["campaign"].public_id)
    assert narrowed["Conversations opened"].value == 1  # Ann's: Cal's was going already
    assert narrowed["Customer messages"].value == 2
    # The campaign's message in Ann's thread, sent in its owner's name (as unfiltered).
    assert narrowed["Agent messages"].value == 1
    assert narrowed["Unanswered"].value == 1


def test_its_figures_open_exactly_those_conversations(client, admin, replied):
    client.force_login(admin)
    opened = report(client, campaign=replied["campaign"].public_id)["Conversations opened"]
    assert f"campaign={replied['campaign'].public_id}" in opened.url
    with time_machine.travel(LATER, tick=False):
        page = client.get(opened.url)
    assert [c.pk for c in page.context["conversations"]] == [replied["ann"].pk]
    assert "opened by replies to “December news”" in page.content.decode()


def test_the_report_offers_the_campaigns_that_started(client, admin, sms_sender, vip, replied):
    sms_campaign(admin, sms_sender, vip, name="Never launched")
    client.force_login(admin)
    with time_machine.travel(LATER, tick=False):
        page = client.get(REPORT, PERIOD).content.decode()
    assert f'<option value="{replied["campaign"].public_id}">Replies to December news' in page
    assert "Never launched" not in page


def test_an_unknown_campaign_keeps_nothing(client, admin, replied):
    client.force_login(admin)
    assert report(client, campaign="nope")["Conversations opened"].value == 0


def test_the_campaign_page_links_to_its_replies_report(client, admin, replied):
    client.force_login(admin)
    campaign = replied["campaign"]
    page = client.get(reverse("campaigns:detail", args=[campaign.public_id])).content.decode()
    assert f"{REPORT}?period=30d&amp;campaign={campaign.public_id}" in page


def test_the_csv_export_follows_the_campaign_filter(client, admin, replied):
    client.force_login(admin)
    params = PERIOD | {"campaign": replied["campaign"].public_id}
    with time_machine.travel(LATER, tick=False):
        response = client.get(reverse("inbox:reports_export"), params)
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(lines) == 2  # the header, then Ann's conversation
    assert replied["ann"].public_id in lines[1]

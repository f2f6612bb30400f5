"""The campaign pages: who may use them, the form, the live estimate, the figures."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from campaigns.figures import figures_refresh_due
from campaigns.models import Campaign, CampaignSettings, Recipient
from campaigns.planning import campaign_plan
from campaigns.release import campaign_start, campaigns_release_due
from campaigns.services import campaign_launch
from inbox.models import Channel, SenderId

from .conftest import MIDDAY, customer, sms_campaign, whatsapp_campaign

pytestmark = pytest.mark.django_db


def form_data(sender, label, **changes) -> dict:
    return {
        "name": "Winter offer",
        "senders": [sender.pk],
        "labels": [label.pk],
        "consent": "",
        "last_contact_days": "",
        "body": "Hi {{name}}, our winter offer is on.",
        "template": "",
        "starts_at": "",
        "replies_to_owner": "on",
    } | changes


def test_standard_users_do_not_see_campaigns_unless_the_organisation_allows(
    client, alice, admin, sms_sender, vip
):
    campaign = sms_campaign(admin, sms_sender, vip)
    client.force_login(alice)
    assert client.get(reverse("campaigns:list")).status_code == 404
    assert client.get(reverse("campaigns:detail", args=[campaign.public_id])).status_code == 404

    settings = CampaignSettings.load()
    settings.agents_may_create = True
    settings.save()
    assert client.get(reverse("campaigns:list")).status_code == 200
    assert b"Campaigns</a>" in client.get(reverse("campaigns:list")).content
    # Not hers: still a 404, and no action either.
    assert client.get(reverse("campaigns:detail", args=[campaign.public_id])).status_code == 404
    response = client.post(reverse("campaigns:cancel", args=[campaign.public_id]))
    assert response.status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.DRAFT


def test_an_admin_creates_a_campaign_and_sees_its_audience_and_cost(client, admin, sms_sender, vip):
    customer("+12025550101", "Ann", label=vip)
    customer("+12025550102", "Ben", label=vip)
    customer("+12025550103", "Cal")
    client.force_login(admin)
    estimate = client.post(reverse("campaigns:estimate"), form_data(sms_sender, vip))
    assert estimate.status_code == 200
    text = estimate.content.decode()
    assert '<strong data-testid="audience-count">2</strong>' in text
    assert "1 segment per message · about 0.02 USD for 2" in text
    assert "Hi Ann, our winter offer is on." in text

    response = client.post(reverse("campaigns:new"), form_data(sms_sender, vip))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.public_id])
    assert (campaign.channel, campaign.owner, list(campaign.senders.all())) == (
        Channel.SMS,
        admin,
        [sms_sender],
    )


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"body": ""}, "Write the text of the SMS."),
        ({"senders": []}, "This field is required."),
        ({"last_contact_days": "-4"}, "greater than or equal to 1"),
        ({"starts_at": "tomorrow-ish"}, "Enter a valid date/time."),
        ({"labels": ["999999"]}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_the_reason(client, admin, sms_sender, vip, changes, error):
    client.force_login(admin)
    response = client.post(reverse("campaigns:new"), form_data(sms_sender, vip, **changes))
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_whatsapp_campaign_needs_a_template_and_maps_its_variables(
    client, admin, wa_sender, templates, vip
):
    customer("+12025550101", "Ann", label=vip)
    client.force_login(admin)
    template = templates["order_update"]
    data = form_data(wa_sender, vip, body="", template="")
    assert (
        "A WhatsApp campaign sends an approved template."
        in client.post(reverse("campaigns:new"), data).content.decode()
    )
    data |= {
        "template": template.pk,
        "var_field_1": "name",
        "var_field_2": "__fixed__",
        "var_value_2": "W-9",
    }
    estimate = client.post(reverse("campaigns:estimate"), data).content.decode()
    assert "Hi Ann, your order W-9 is on its way." in estimate
    assert 'name="var_value_2" value="W-9"' in estimate
    client.post(reverse("campaigns:new"), data)
    assert Campaign.objects.get().variables == {"1": {"field": "name"}, "2": {"value": "W-9"}}


def test_a_sender_id_the_user_may_not_use_is_refused(client, alice, bob_line, vip):
    settings = CampaignSettings.load()
    settings.agents_may_create = True
    settings.save()
    client.force_login(alice)
    response = client.post(reverse("campaigns:new"), form_data(bob_line, vip))
    assert response.status_code == 422
    assert not Campaign.objects.exists()


def test_a_mailbox_is_not_offered_as_a_campaigns_sender_id(client, admin, sms_sender, vip):
    mailbox = SenderId.objects.create(
        channel=Channel.EMAIL, address="support@example.com", label="Support mail"
    )
    client.force_login(admin)
    form = client.get(reverse("campaigns:new")).content.decode()
    assert "Support mail" not in form and str(sms_sender.label) in form
    response = client.post(reverse("campaigns:new"), form_data(mailbox, vip))
    assert response.status_code == 422
    assert not Campaign.objects.exists()


def test_a_started_campaign_cannot_be_edited_but_can_be_duplicated(
    client, admin, sms_sender, vip, tasks, django_capture_on_commit_callbacks
):
    campaign = sms_campaign(admin, sms_sender, vip)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("campaigns:launch", args=[campaign.public_id]))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SCHEDULED
    assert tasks.names == ["campaigns.tasks.release_campaigns"]
    campaign_start(campaign=campaign, now=campaign.starts_at)
    edit = client.post(
        reverse("campaigns:edit", args=[campaign.public_id]), form_data(sms_sender, vip)
    )
    assert edit.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).name == "December news"
    response = client.post(reverse("campaigns:duplicate", args=[campaign.public_id]))
    copy = Campaign.objects.exclude(pk=campaign.pk).get()
    assert response["Location"] == reverse("campaigns:detail", args=[copy.public_id])
    assert (copy.name, copy.state, copy.body) == (
        "December news (copy)",
        Campaign.State.DRAFT,
        campaign.body,
    )


@pytest.mark.django_db(transaction=True)
def test_the_page_shows_figures_and_opens_the_recipients_behind_one(
    client, admin, wa_sender, templates, vip, tasks, django_assert_num_queries
):
    customer("+12025550101", "Ann", label=vip)
    customer("+12025550102", "Ben", label=vip, opted_out=True)
    customer("+12025550103", "Cal", label=vip, consent=False)
    campaign = whatsapp_campaign(admin, wa_sender, templates["order_update"], vip)
    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        campaigns_release_due()
        tasks.run_all()
        figures_refresh_due()  # the worker's sweep
    client.force_login(admin)
    url = reverse("campaigns:detail", args=[campaign.public_id])
    with django_assert_num_queries(8):
        page = client.get(url).content.decode()
    assert 'data-testid="count-audience">3<' in page
    assert 'data-testid="count-excluded_opted_out">1<' in page
    assert 'data-testid="count-excluded_no_opt_in">1<' in page
    assert 'data-testid="count-sent">1<' in page
    assert "{#" not in page and "{% comment" not in page  # no template comment shows

    excluded = client.get(url, {"figure": "excluded_no_opt_in"}).content.decode()
    assert "Cal" in excluded and "Excluded: No WhatsApp opt-in" in excluded
    assert "Ann" not in excluded
    assert client.get(url, {"figure": "nonsense", "after": "x"}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_page_costs_the_same_queries_for_many_recipients(
    client, admin, sms_sender, vip, tasks, django_assert_num_queries
):
    def queries_for(campaign) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("campaigns:detail", args=[campaign.public_id]))
        return len(captured)

    client.force_login(admin)
    customer("+12025550101", "Ann", label=vip)
    small = sms_campaign(admin, sms_sender, vip)
    for n in range(30):
        customer(f"+1202555{n + 2000:04d}", f"C{n}", label=vip)
    large = sms_campaign(admin, sms_sender, vip)
    with time_machine.travel(MIDDAY, tick=False):
        for campaign in (small, large):
            campaign_launch(campaign=campaign, by=admin)
        campaigns_release_due()
        tasks.run_all()
    assert Recipient.objects.filter(campaign=large).count() == 31
    assert queries_for(small) == queries_for(large)


def test_the_csv_has_one_formula_safe_row_per_recipient(client, admin, sms_sender, vip):
    customer("+12025550101", '=HYPERLINK("http://evil")', label=vip)
    customer("+12025550102", "Ben", label=vip, opted_out=True)
    campaign = sms_campaign(admin, sms_sender, vip)
    campaign_plan(campaign=campaign)
    client.force_login(admin)
    response = client.get(reverse("campaigns:export", args=[campaign.public_id]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "\ufeffContact"
    assert [r[:5] for r in rows[1:]] == [
        ['\'=HYPERLINK("http://evil")', "+12025550101", sms_sender.address, "Planned", ""],
        ["Ben", "+12025550102", sms_sender.address, "Excluded", "Opted out"],
    ]


def test_the_page_reads_its_figures_and_counts_no_recipient(client, admin, sms_sender, vip):
    """The figures are counted once (the first time, or by the worker) and then read from
    the campaign's row: the page never reads its 100,000 recipients to draw them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer("+12025550101", "Ann", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    campaign_plan(campaign=campaign)
    client.force_login(admin)
    url = reverse("campaigns:detail", args=[campaign.public_id])

    def counting() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        assert 'data-testid="count-planned">1<' in page
        return [
            q["sql"] for q in captured.captured_queries if 'COUNT("campaigns_recipient' in q["sql"]
        ]

    assert len(counting()) == 2  # never counted before: the figures, the failures by reason
    assert counting() == []
    listed = client.get(reverse("campaigns:list")).content.decode()
    assert f'data-testid="recipients-{campaign.public_id}">1<' in listed

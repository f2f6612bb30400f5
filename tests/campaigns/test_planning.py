"""Each recipient is resolved once: planned, or excluded with the reason."""

import pytest

from campaigns.models import Exclusion, Recipient
from campaigns.planning import campaign_plan
from inbox.models import ContactFieldValue, Conversation, CustomField, SenderId

from .conftest import customer, sms_campaign, whatsapp_campaign

pytestmark = pytest.mark.django_db


def outcomes(campaign) -> dict[str, str]:
    return {
        r.contact.display_name: r.exclusion or r.state
        for r in Recipient.objects.filter(campaign=campaign).select_related("contact")
    }


def test_a_whatsapp_campaign_plans_the_lawful_and_excludes_the_rest_with_reasons(
    admin, wa_sender, templates, vip
):
    customer("+12025550101", "Ann", label=vip)
    customer("+12025550102", "Ben", label=vip, opted_out=True)
    customer("+12025550103", "Cal", label=vip, consent=False)
    customer("+12025550104", "", label=vip)  # no name for {{1}}
    customer("+12025550105", "Dee")  # not in the audience
    campaign = whatsapp_campaign(admin, wa_sender, templates["order_update"], vip)

    assert campaign_plan(campaign=campaign) == 4
    assert outcomes(campaign) == {
        "Ann": "planned",
        "Ben": Exclusion.OPTED_OUT,
        "Cal": Exclusion.NO_WHATSAPP_OPT_IN,
        "": Exclusion.MISSING_VALUE,
    }


def test_a_marketing_template_is_not_planned_for_us_numbers(admin, wa_sender, templates, vip):
    templates["spring_sale"].approval = "approved"
    templates["spring_sale"].save()
    customer("+12025550101", "Ann", label=vip)
    customer("+447700900123", "Ben", label=vip)
    campaign = whatsapp_campaign(
        admin, wa_sender, templates["spring_sale"], vip, variables={"1": {"field": "name"}}
    )
    campaign_plan(campaign=campaign)
    assert outcomes(campaign) == {"Ann": Exclusion.US_MARKETING, "Ben": "planned"}


def test_an_sms_placeholder_without_a_value_excludes_and_no_number_is_invalid(
    admin, sms_sender, vip
):
    customer("+12025550101", "Ann", label=vip)
    nameless = customer("+12025550102", "", label=vip)
    no_number = customer(None, "Cal", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    campaign_plan(campaign=campaign)
    by_contact = {r.contact_id: r.exclusion for r in Recipient.objects.filter(campaign=campaign)}
    assert by_contact[nameless.pk] == Exclusion.MISSING_VALUE
    assert by_contact[no_number.pk] == Exclusion.INVALID_NUMBER


def test_the_same_number_twice_is_sent_once(admin, wa_sender, templates, vip):
    ann = customer("+12025550101", "Ann", label=vip)
    twin = customer("+12025550199", "Ann again", label=vip)
    twin.whatsapp_id = ann.phone_e164
    twin.save()
    campaign = whatsapp_campaign(admin, wa_sender, templates["order_update"], vip)
    campaign_plan(campaign=campaign)
    assert outcomes(campaign) == {"Ann": "planned", "Ann again": Exclusion.DUPLICATE}


def test_planning_again_adds_nobody_twice(admin, sms_sender, vip):
    for n in range(5):
        customer(f"+1202555011{n}", f"C{n}", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    assert campaign_plan(campaign=campaign) == 5
    assert campaign_plan(campaign=campaign) == 0
    assert Recipient.objects.filter(campaign=campaign).count() == 5


def test_a_contact_already_talking_on_one_of_the_sender_ids_keeps_it(
    admin, sms_sender, vip, alice_line
):
    second = SenderId.objects.create(address="+14155550178", channel="sms", rate_per_second=1)
    talking = customer("+12025550101", "Ann", label=vip)
    Conversation.objects.create(contact=talking, sender_id=second)
    for n in range(4):
        customer(f"+1202555012{n}", f"C{n}", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip, senders=[sms_sender, second])
    campaign_plan(campaign=campaign)
    assert Recipient.objects.get(contact=talking).sender == second
    used = set(Recipient.objects.filter(campaign=campaign).values_list("sender", flat=True))
    assert used == {sms_sender.pk, second.pk}


def test_a_plan_run_again_after_a_partial_one_adds_only_the_missing_rows(admin, sms_sender, vip):
    """A worker killed mid-plan: the rows written stand, the rest are resolved as before."""
    ann = customer("+12025550101", "Ann", label=vip)
    customer("+12025550102", "Ben", label=vip, opted_out=True)
    customer("+12025550103", "", label=vip)
    customer("+12025550104", "Dee", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    assert campaign_plan(campaign=campaign) == 4
    planned = outcomes(campaign)
    kept = Recipient.objects.get(campaign=campaign, contact=ann)
    Recipient.objects.filter(campaign=campaign).exclude(contact=ann).delete()

    assert campaign_plan(campaign=campaign) == 3
    assert Recipient.objects.get(campaign=campaign, contact=ann).public_id == kept.public_id
    assert outcomes(campaign) == planned


def test_a_number_planned_for_another_contact_by_an_earlier_run_is_a_duplicate(
    admin, sms_sender, vip
):
    ann = customer("+12025550101", "Ann", label=vip)
    ben = customer("+12025550102", "Ben", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    campaign_plan(campaign=campaign)
    Recipient.objects.filter(campaign=campaign, contact=ben).delete()
    Recipient.objects.filter(campaign=campaign, contact=ann).update(address=ben.phone_e164)
    assert campaign_plan(campaign=campaign) == 1
    assert outcomes(campaign) == {"Ann": "planned", "Ben": Exclusion.DUPLICATE}


def test_custom_field_placeholders_exclude_contacts_without_a_value(admin, sms_sender, vip):
    city = CustomField.objects.create(name="city", label="City")
    ann = customer("+12025550101", "Ann", label=vip)
    ben = customer("+12025550102", "Ben", label=vip)
    customer("+12025550103", "Cal", label=vip)
    ContactFieldValue.objects.create(contact=ann, field=city, value="Lyon")
    ContactFieldValue.objects.create(contact=ben, field=city, value="  ")
    campaign = sms_campaign(admin, sms_sender, vip, body="{{name}}, see you in {{ city }}!")
    campaign_plan(campaign=campaign)
    assert outcomes(campaign) == {
        "Ann": "planned",
        "Ben": Exclusion.MISSING_VALUE,
        "Cal": Exclusion.MISSING_VALUE,
    }


def test_a_template_value_of_blanks_only_excludes_everyone(admin, wa_sender, templates, vip):
    customer("+447700900123", "Ann", label=vip)
    campaign = whatsapp_campaign(
        admin,
        wa_sender,
        templates["order_update"],
        vip,
        variables={"1": {"field": "name"}, "2": {"value": "   "}},
    )
    campaign_plan(campaign=campaign)
    assert outcomes(campaign) == {"Ann": Exclusion.MISSING_VALUE}


def test_the_whatsapp_number_is_the_address_without_its_prefix(admin, wa_sender, templates, vip):
    ann = customer("+447700900123", "Ann", label=vip)
    ann.whatsapp_id = "whatsapp:+447700900999"
    ann.save()
    campaign = whatsapp_campaign(admin, wa_sender, templates["order_update"], vip)
    campaign_plan(campaign=campaign)
    assert Recipient.objects.get(campaign=campaign).address == "+447700900999"


def test_a_placeholder_naming_no_field_excludes_everyone(admin, sms_sender, vip):
    customer("+12025550101", "Ann", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip, body="{{name}}, your {{order_id}} shipped")
    campaign_plan(campaign=campaign)
    assert outcomes(campaign) == {"Ann": Exclusion.MISSING_VALUE}


def test_planning_costs_the_same_queries_for_many_contacts(admin, sms_sender, vip, monkeypatch):
    """No query per contact: a chunk is read in one query and written in one insert."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns import planning

    second = SenderId.objects.create(address="+14155550178", channel="sms", rate_per_second=1)

    def queries_for(contacts: int) -> int:
        for n in range(contacts):
            customer(f"+1202555{n + 3000 + contacts * 100:04d}", f"C{n}", label=vip)
        campaign = sms_campaign(admin, sms_sender, vip, senders=[sms_sender, second])
        with CaptureQueriesContext(connection) as captured:
            campaign_plan(campaign=campaign)
        return len(captured)

    monkeypatch.setattr(planning, "CHUNK", 50)
    assert queries_for(3) == queries_for(30)  # one chunk each, 33 contacts in the second

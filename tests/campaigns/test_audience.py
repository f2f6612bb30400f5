"""A campaign's audience: custom-field conditions and an uploaded list (through the contacts
import), each combined with the labels, consent and last-contact filters."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import planning
from campaigns.audience import audience_contacts
from campaigns.models import Exclusion, Recipient
from campaigns.planning import campaign_plan
from campaigns.services import CampaignRefused, campaign_save
from inbox.models import Channel, ContactFieldValue, ContactImport, CustomField
from inbox.services.contact_import import contacts_import_run, import_create, import_start

from .conftest import customer, sms_campaign

pytestmark = pytest.mark.django_db


def uploaded(by, text: str) -> ContactImport:
    """A CSV through the contacts import: upload, the mapping it guessed, the run."""
    contact_import = import_create(by=by, file_name="fair.csv", text=text)
    import_start(contact_import=contact_import, mapping=contact_import.mapping)
    return contacts_import_run(import_id=contact_import.pk)


@pytest.fixture
def city(db) -> CustomField:
    return CustomField.objects.create(name="city", label="City")


def with_city(contact, city, value):
    ContactFieldValue.objects.create(contact=contact, field=city, value=value)
    return contact


def names(**audience) -> list[str]:
    defaults = {"label_ids": [], "consent": "", "last_contact_days": None}
    qs = audience_contacts(**(defaults | audience))
    return sorted(qs.values_list("display_name", flat=True))


@pytest.mark.parametrize(
    "op, value, expected",
    [
        ("equals", "paris", ["Ann"]),  # case is ignored
        ("contains", "ON", ["Ben", "Lea"]),
        ("set", "", ["Ann", "Ben", "Lea"]),
        ("not_set", "", ["Cal", "Dan"]),  # blank, or no value at all
    ],
)
def test_a_custom_field_condition_narrows_the_audience(city, op, value, expected):
    with_city(customer("+12025550101", "Ann"), city, "Paris")
    with_city(customer("+12025550102", "Ben"), city, "Lyon")
    with_city(customer("+12025550103", "Lea"), city, "London")
    with_city(customer("+12025550104", "Cal"), city, "  ")
    customer("+12025550105", "Dan")
    assert names(conditions=[{"field": "city", "op": op, "value": value}]) == expected


def test_conditions_combine_with_each_other_and_the_labels(city, vip):
    tier = CustomField.objects.create(name="tier", label="Tier")
    ann = with_city(customer("+12025550101", "Ann", label=vip), city, "Paris")
    with_city(ann, tier, "gold")
    with_city(customer("+12025550102", "Ben", label=vip), city, "Paris")
    with_city(with_city(customer("+12025550103", "Cal"), city, "Paris"), tier, "gold")
    conditions = [
        {"field": "city", "op": "equals", "value": "Paris"},
        {"field": "tier", "op": "equals", "value": "Gold"},
    ]
    assert names(conditions=conditions, label_ids=[vip.pk]) == ["Ann"]


def test_a_field_nobody_has_matches_nobody_except_is_not_set(db):
    customer("+12025550101", "Ann")
    assert names(conditions=[{"field": "gone", "op": "set", "value": ""}]) == []
    assert names(conditions=[{"field": "gone", "op": "not_set", "value": ""}]) == ["Ann"]


def test_an_uploaded_list_is_the_contacts_its_rows_wrote(admin, vip):
    customer("+12025550101", "Ann", label=vip)  # in the file, unchanged by it
    customer("+12025550109", "Zed", label=vip)  # not in the file
    contact_list = uploaded(
        admin, "phone,name\n+12025550101,Ann\n+1 202 555 0102,Ben\nnot a number,Bad\n"
    )
    assert contact_list.state == ContactImport.State.DONE
    assert names(contact_list_id=contact_list.pk) == ["Ann", "Ben"]
    # Combined with the filters: the labelled among them.
    assert names(contact_list_id=contact_list.pk, label_ids=[vip.pk]) == ["Ann"]


def test_planning_a_list_with_conditions_plans_exactly_that_audience(admin, sms_sender, vip):
    contact_list = uploaded(
        admin,
        "phone,name,city\n+12025550101,Ann,Paris\n+12025550102,Ben,Lyon\n+12025550103,Cal,Paris\n",
    )
    customer("+12025550104", "Dan")  # not in the list
    campaign = sms_campaign(
        admin,
        sms_sender,
        vip,
        labels=[],
        conditions=[{"field": "city", "op": "equals", "value": "Paris"}],
        contact_list=contact_list,
    )
    assert campaign_plan(campaign=campaign) == 2
    planned = Recipient.objects.filter(campaign=campaign).exclude(state=Exclusion.OPTED_OUT)
    assert sorted(planned.values_list("contact__display_name", flat=True)) == ["Ann", "Cal"]


def test_planning_a_list_with_conditions_is_one_query_a_chunk(
    admin, sms_sender, vip, city, monkeypatch
):
    """The list and the conditions are part of the chunk's query: no ids in Python, no
    query per contact."""

    def queries_for(contacts: int) -> int:
        start = 1000 + contacts * 100
        lines = [f"+1202555{start + n:04d},C{n},Paris" for n in range(contacts)]
        contact_list = uploaded(admin, "phone,name,city\n" + "\n".join(lines))
        campaign = sms_campaign(
            admin,
            sms_sender,
            vip,
            labels=[],
            conditions=[{"field": "city", "op": "contains", "value": "par"}],
            contact_list=contact_list,
        )
        with CaptureQueriesContext(connection) as captured:
            assert campaign_plan(campaign=campaign) == contacts
        return len(captured)

    monkeypatch.setattr(planning, "CHUNK", 50)
    assert queries_for(3) == queries_for(40)


def test_a_standard_user_may_not_send_to_another_users_list(admin, alice, sms_sender, vip):
    from campaigns.models import CampaignSettings

    settings = CampaignSettings.load()
    settings.agents_may_create = True
    settings.save()
    sms_sender.shared_with.add(alice)
    admins_list = uploaded(admin, "phone\n+12025550101\n")
    with pytest.raises(CampaignRefused, match="uploaded list of yours"):
        sms_campaign(alice, sms_sender, vip, contact_list=admins_list)


def test_a_condition_that_compares_needs_its_value(admin, sms_sender, vip):
    with pytest.raises(CampaignRefused, match="value"):
        sms_campaign(admin, sms_sender, vip, conditions=[{"field": "city", "op": "equals"}])


def form(sender, **changes) -> dict:
    return {
        "name": "Fair invitation",
        "senders": [sender.pk],
        "consent": "",
        "last_contact_days": "",
        "body": "Hi {{name}}, see you at the fair.",
        "template": "",
        "starts_at": "",
        "replies_to_owner": "on",
    } | changes


def test_the_form_saves_conditions_and_a_list_and_the_live_count_follows(
    client, admin, sms_sender, city
):
    contact_list = uploaded(
        admin,
        "phone,name,city\n+12025550101,Ann,Paris\n+12025550102,Ben,Lyon\n+12025550103,Cal,\n",
    )
    customer("+12025550104", "Dan")
    client.force_login(admin)
    everyone = client.post(reverse("campaigns:estimate"), form(sms_sender)).content.decode()
    assert '<strong data-testid="audience-count">4</strong>' in everyone
    chosen = form(
        sms_sender,
        contact_list=contact_list.pk,
        cond_field_0="city",
        cond_op_0="set",
        cond_field_1="city",
        cond_op_1="contains",
        cond_value_1="aris",
    )
    narrowed = client.post(reverse("campaigns:estimate"), chosen).content.decode()
    assert '<strong data-testid="audience-count">1</strong>' in narrowed

    assert client.post(reverse("campaigns:new"), chosen).status_code == 302
    campaign = campaign_of(admin)
    assert campaign.contact_list == contact_list
    assert campaign.conditions == [
        {"field": "city", "op": "set", "value": ""},
        {"field": "city", "op": "contains", "value": "aris"},
    ]
    page = client.get(reverse("campaigns:detail", args=[campaign.public_id])).content.decode()
    assert "City is set · City contains “aris” · In the uploaded list “fair.csv”" in page
    edit = client.get(reverse("campaigns:edit", args=[campaign.public_id])).content.decode()
    assert 'name="cond_value_1" value="aris"' in edit


def test_a_condition_without_its_value_is_refused_with_the_reason(client, admin, sms_sender, city):
    client.force_login(admin)
    response = client.post(
        reverse("campaigns:new"), form(sms_sender, cond_field_0="city", cond_op_0="equals")
    )
    assert response.status_code == 422
    assert "Give each condition that compares a value the value." in response.content.decode()


def test_an_import_offers_a_campaign_to_its_list(client, admin, sms_sender):
    contact_list = uploaded(admin, "phone,name\n+12025550101,Ann\n")
    client.force_login(admin)
    done = client.get(reverse("inbox:contact_import", args=[contact_list.public_id]))
    link = f"{reverse('campaigns:new')}?list={contact_list.public_id}"
    assert link in done.content.decode()
    new = client.get(link).content.decode()
    assert f'<option value="{contact_list.pk}" selected>' in new
    assert '<strong data-testid="audience-count">1</strong>' in new


def campaign_of(owner):
    from campaigns.models import Campaign

    return Campaign.objects.get(owner=owner)


def test_a_list_keeps_its_channel_rules(admin, wa_sender, templates, vip):
    """An uploaded list is an audience like any other: the plan still excludes by the
    rules (here, no WhatsApp opt-in)."""
    contact_list = uploaded(admin, "phone,name\n+12025550101,Ann\n")
    campaign = campaign_save(
        by=admin,
        campaign=None,
        name="List",
        channel=Channel.WHATSAPP,
        senders=[wa_sender],
        labels=[],
        consent="",
        last_contact_days=None,
        body="",
        template=templates["order_update"],
        variables={"1": {"field": "name"}, "2": {"value": "D-1"}},
        starts_at=None,
        replies_to_owner=True,
        contact_list=contact_list,
    )
    campaign_plan(campaign=campaign)
    assert list(Recipient.objects.values_list("exclusion", flat=True)) == [
        Exclusion.NO_WHATSAPP_OPT_IN
    ]


def test_the_form_estimate_and_page_cost_fixed_queries_with_conditions_and_a_list(
    client, admin, sms_sender, city, django_assert_num_queries
):
    lines = [f"+1202555{1000 + n:04d},C{n},Paris" for n in range(30)]
    contact_list = uploaded(admin, "phone,name,city\n" + "\n".join(lines))
    chosen = form(
        sms_sender,
        contact_list=contact_list.pk,
        cond_field_0="city",
        cond_op_0="equals",
        cond_value_0="Paris",
    )
    client.force_login(admin)
    client.post(reverse("campaigns:estimate"), chosen)  # the settings' row is made once
    with django_assert_num_queries(11):
        client.post(reverse("campaigns:estimate"), chosen)
    client.post(reverse("campaigns:new"), chosen)
    campaign = campaign_of(admin)
    with django_assert_num_queries(17):
        client.get(reverse("campaigns:edit", args=[campaign.public_id]))
    with django_assert_num_queries(8):
        client.get(reverse("campaigns:detail", args=[campaign.public_id]))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (query plans)")
def test_a_chunk_reads_a_range_of_contact_ids_and_probes_the_list_and_fields(
    admin, sms_sender, vip, city
):
    """Whatever the planner expects the list and the conditions to keep, a chunk starts
    from a range of the contacts' primary key and looks each contact up in the list's and
    the field's unique indexes: it never walks the whole list or every value of the field
    (what it did, chunk after chunk, when it started from them: 10 s for 100,000)."""
    contact_list = uploaded(admin, "phone,name,city\n+12025550101,Ann,Paris\n")
    campaign = sms_campaign(
        admin,
        sms_sender,
        vip,
        labels=[],
        conditions=[{"field": "city", "op": "equals", "value": "Paris"}],
        contact_list=contact_list,
    )
    with CaptureQueriesContext(connection) as captured:
        campaign_plan(campaign=campaign)
    chunk = next(
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "inbox_contact"' in q["sql"] and "inbox_contactfieldvalue" in q["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + chunk)
        explained = "\n".join(row[0] for row in cursor.fetchall())
    assert "inbox_contact_pkey" in explained and "Index Cond: ((id >" in explained
    # The list and the field are asked per contact (subplans), never joined or hashed.
    assert "imported_contact_once" in explained and "on inbox_contactfieldvalue" in explained
    assert "Join" not in explained and "Hash" not in explained

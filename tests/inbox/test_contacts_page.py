"""The contacts pages (F-CT1): list, search, filters, one contact, create, export."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from inbox.models import Contact, Label
from inbox.services.consent import contact_consent_change
from inbox.services.contacts import contact_update

from ..conftest import receive


@pytest.fixture
def contacts(alice):
    now = timezone.now()
    made = []
    for i, (name, phone, email) in enumerate(
        [
            ("Maria Garcia", "+12025550123", "maria@example.com"),
            ("Bob Stone", "+447911123456", "bob@example.com"),
            ("=cmd|' /C calc'!A0", "+12025550125", ""),
        ]
    ):
        contact = Contact.objects.create(
            phone_e164=phone, display_name=name, email=email, last_activity_at=now - timedelta(i)
        )
        made.append(contact)
    contact_update(contact=made[0], by=alice, labels=["VIP"])
    contact_consent_change(contact=made[1], conversation=None, opted_out=True, source="entered")
    return made


def rows(client, **params) -> list[str]:
    html = client.get(reverse("inbox:contacts"), params).content.decode()
    return [c.display_name for c in Contact.objects.all() if f">{c.display_name}</a>" in html]


def test_the_list_is_newest_activity_first_and_pages_by_keyset(client, alice, contacts, settings):
    from inbox.selectors.contacts import ContactFilters, contacts_page

    client.force_login(alice)
    page, cursor = contacts_page(filters=ContactFilters(), after=None, limit=2)
    assert [c.display_name for c in page] == ["Maria Garcia", "Bob Stone"]
    rest, end = contacts_page(filters=ContactFilters(), after=cursor, limit=2)
    assert [c.pk for c in rest] == [contacts[2].pk] and end is None


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("garc", "Maria Garcia"),
        ("07911 123456", "Bob Stone"),
        ("+1 (202) 555-0123", "Maria Garcia"),
        ("0123", "Maria Garcia"),
        ("BOB@example.com", "Bob Stone"),
    ],
)
def test_search_by_name_number_email(client, alice, contacts, q, found):
    client.force_login(alice)
    assert rows(client, q=q) == [found]


def test_search_by_contact_id_and_filters_by_label_and_consent(client, alice, contacts):
    client.force_login(alice)
    assert rows(client, q=contacts[1].public_id) == ["Bob Stone"]
    assert rows(client, label="VIP") == ["Maria Garcia"]
    assert rows(client, consent="opted_out") == ["Bob Stone"]
    assert client.get(reverse("inbox:contacts"), {"consent": "maybe"}).status_code == 200


def test_only_text_shaped_like_a_contact_id_is_looked_up_as_one(client, alice, contacts):
    """A name search is a condition on the name alone: an OR of the id's index made
    PostgreSQL read every contact for it."""
    from inbox.selectors.contacts import ContactFilters, contacts_filtered

    client.force_login(alice)
    assert rows(client, q=contacts[1].public_id.upper()) == ["Bob Stone"]
    where = str(contacts_filtered(ContactFilters(q="garc")).query).split(" WHERE ")[1]
    assert "public_id" not in where


def test_the_contact_page_shows_only_conversations_the_reader_may_open(
    client, alice, bob, alice_line, bob_line, contacts
):
    mine = receive(alice_line, "+12025550123").conversation
    theirs = receive(bob_line, "+12025550123").conversation
    client.force_login(alice)
    html = client.get(reverse("inbox:contact_detail", args=[contacts[0].public_id])).content
    html = html.decode()
    assert reverse("inbox:conversation", args=[mine.public_id]) in html
    assert reverse("inbox:conversation", args=[theirs.public_id]) not in html
    assert "Labels: <del>(none)</del> → <ins>VIP</ins>" in html
    consent = client.get(reverse("inbox:contact_detail", args=[contacts[1].public_id]))
    assert "Opted out (SMS/MMS, Entered by a user)" in consent.content.decode()
    assert client.get(reverse("inbox:contact_detail", args=["nope"])).status_code == 404
    client.logout()
    assert (
        client.get(reverse("inbox:contact_detail", args=[contacts[0].public_id])).status_code == 302
    )


def test_create_and_edit_from_the_contacts_page(client, alice, contacts):
    client.force_login(alice)
    Label.objects.create(name="Wholesale")
    assert "Wholesale" in client.get(reverse("inbox:contact_new")).content.decode()
    response = client.post(
        reverse("inbox:contact_new"),
        {"phone": "+1 415 555 0101", "display_name": "Farid Khan", "labels": "Wholesale"},
    )
    farid = Contact.objects.get(phone_e164="+14155550101")
    assert response.url == reverse("inbox:contact_detail", args=[farid.public_id])
    assert [label.name for label in farid.labels.all()] == ["Wholesale"]
    again = client.post(reverse("inbox:contact_new"), {"phone": "+14155550101"})
    assert again.status_code == 422 and "exists already" in again.content.decode()
    edit = reverse("inbox:contact_edit_page", args=[farid.public_id])
    client.post(edit, {"email": "farid@example.com"})
    farid.refresh_from_db()
    assert farid.display_name == "Farid Khan" and farid.email == "farid@example.com"


def test_the_export_streams_the_filtered_list_with_a_bom_and_no_formulas(client, alice, contacts):
    client.force_login(alice)
    response = client.get(reverse("inbox:contacts_export"))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffname,phone,whatsapp,email,labels,sms_consent,contact_id\r\n")
    assert "Maria Garcia,+12025550123,,maria@example.com,VIP,," in body
    assert "\r\n'=cmd|' /C calc'!A0,+12025550125," in body
    filtered = client.get(reverse("inbox:contacts_export"), {"label": "VIP"})
    text = b"".join(filtered.streaming_content).decode("utf-8")
    assert "Maria Garcia" in text and "Bob Stone" not in text
    client.logout()
    assert client.get(reverse("inbox:contacts_export")).status_code == 302


def test_the_list_page_queries_do_not_grow_with_the_contacts(
    client, alice, contacts, django_assert_num_queries
):
    client.force_login(alice)
    # Session, user, the top bar's unread count, the page of contacts, their labels, the
    # label filter's choices.
    with django_assert_num_queries(6):
        client.get(reverse("inbox:contacts"))
    for i in range(10):
        contact_update(
            contact=Contact.objects.create(phone_e164=f"+1202555{2000 + i}"),
            by=alice,
            labels=[f"L{i}"],
        )
    cache.clear()  # the unread count is counted afresh, as on the first page above
    with django_assert_num_queries(6):
        html = client.get(reverse("inbox:contacts")).content.decode()
    assert html.count('class="contact-row"') == 13


def test_the_contact_page_queries_are_pinned(
    client, alice, alice_line, contacts, django_assert_num_queries
):
    receive(alice_line, "+12025550123")
    client.force_login(alice)
    # Session, user, the contact, labels, field values, latest changes, reach (sender IDs
    # and teams), conversations, history, consent history, other numbers (kept from merges).
    with django_assert_num_queries(12):
        client.get(reverse("inbox:contact_detail", args=[contacts[0].public_id]))

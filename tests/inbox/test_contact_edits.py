"""Contact edits change only what was submitted, and each change is kept in the contact's
history, shown wherever the contact is (F-CT1, F-CT2)."""

import re

import pytest
from django.urls import reverse

from inbox.models import ContactChange, CustomField
from inbox.services.contacts import contact_update

from ..conftest import receive

HX = {"HX-Request": "true"}


@pytest.fixture
def conversation(alice, alice_line):
    conversation = receive(alice_line, "+12025550123").conversation
    contact_update(
        contact=conversation.contact,
        by=alice,
        display_name="Maria Garcia",
        email="maria@example.com",
        labels=["vip"],
        custom_fields={"order": "4521", "city": "Leeds"},
    )
    return conversation


def test_an_edit_keeps_the_custom_fields_the_form_did_not_carry(client, conversation, bob, alice):
    client.force_login(alice)
    url = reverse("inbox:contact", args=[conversation.public_id])
    # A form that only knew about "order" (say, opened before "city" was added elsewhere).
    client.post(url, {"field_name_0": "order", "field_value_0": "9999"}, headers=HX)
    contact = conversation.contact
    assert {v.field.name: v.value for v in contact.field_values.all()} == {
        "order": "9999",
        "city": "Leeds",
    }
    contact.refresh_from_db()
    assert contact.display_name == "Maria Garcia" and contact.email == "maria@example.com"
    assert [label.name for label in contact.labels.all()] == ["vip"]


def test_every_change_is_kept_with_who_and_old_and_new_values(client, conversation, alice, bob):
    client.force_login(alice)
    url = reverse("inbox:contact", args=[conversation.public_id])
    client.post(url, {"display_name": "Maria G. Lopez", "email": "maria@example.com"}, headers=HX)
    change = ContactChange.objects.filter(contact=conversation.contact).first()
    assert change.actor == alice
    assert change.changes == [{"field": "Name", "old": "Maria Garcia", "new": "Maria G. Lopez"}]


def test_the_history_is_shown_in_every_conversation_of_the_contact(
    client, conversation, alice, alice_line, bob
):
    client.force_login(alice)
    client.post(
        reverse("inbox:contact", args=[conversation.public_id]),
        {"display_name": "Maria Lopez"},
        headers=HX,
    )
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    html = page.content.decode()
    assert "<del>Maria Garcia</del> → <ins>Maria Lopez</ins>" in html
    detail = client.get(reverse("inbox:contact_detail", args=[conversation.contact.public_id]))
    assert "<del>Maria Garcia</del> → <ins>Maria Lopez</ins>" in detail.content.decode()


def test_an_unchanged_form_records_nothing(client, conversation, alice):
    client.force_login(alice)
    before = ContactChange.objects.count()
    client.post(
        reverse("inbox:contact", args=[conversation.public_id]),
        {"display_name": "Maria Garcia", "field_name_0": "order", "field_value_0": "4521"},
        headers=HX,
    )
    assert ContactChange.objects.count() == before


def test_a_field_label_like_order_id_is_accepted_and_its_key_derived(client, conversation, alice):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:contact", args=[conversation.public_id]),
        {"field_name_0": "Order ID", "field_value_0": "A-17"},
        headers=HX,
    )
    assert response.status_code == 200
    field = CustomField.objects.get(name="order_id")
    assert field.label == "Order ID"
    assert "<dt>Order ID</dt><dd>A-17</dd>" in response.content.decode()
    # The same label typed differently names the same field.
    contact_update(contact=conversation.contact, by=alice, custom_fields={"order id": "A-18"})
    assert CustomField.objects.filter(name="order_id").count() == 1
    assert conversation.contact.field_values.get(field=field).value == "A-18"


def test_a_field_label_starting_with_a_digit_gets_a_key_that_starts_with_a_letter():
    from inbox.services.contacts import field_key

    assert field_key("2nd phone") == "field_2nd_phone"
    assert field_key("  Order-ID ") == "order_id"


def field_name_choices(html: str) -> list[str]:
    """The options of the custom-field-name picker (the form's ``<datalist>``)."""
    found = re.search(r'<datalist id="field-labels">(.*?)</datalist>', html, re.S)
    assert found, "the form has no field-name picker"
    return re.findall(r'<option value="([^"]*)">', found.group(1))


def test_every_form_offers_the_existing_custom_field_names(client, conversation, alice):
    # A field no contact of this conversation has yet is offered too.
    CustomField.objects.create(name="loyalty_tier", label="Loyalty tier")
    client.force_login(alice)
    pages = [
        client.get(reverse("inbox:contact", args=[conversation.public_id])),
        client.get(reverse("inbox:contact", args=[conversation.public_id]), headers=HX),
        client.get(reverse("inbox:contact_edit_page", args=[conversation.contact.public_id])),
        client.get(reverse("inbox:contact_new")),
    ]
    for page in pages:
        assert page.status_code == 200
        assert field_name_choices(page.content.decode()) == ["city", "Loyalty tier", "order"]


def test_the_window_fetches_the_contact_form_when_it_is_opened(client, conversation, alice):
    """The form is drawn only for an agent who opens it: the window does not build it."""
    contact_update(
        contact=conversation.contact, by=alice, display_name="Maria", custom_fields={"Tier": "Gold"}
    )
    client.force_login(alice)
    url = reverse("inbox:contact", args=[conversation.public_id])
    window = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    html = window.content.decode()
    assert 'class="contact-form"' not in html
    assert f'hx-get="{url}" hx-trigger="toggle once"' in html
    assert f'<a href="{url}">Open the contact form</a>' in html  # without JavaScript

    form = client.get(url, headers=HX).content.decode()
    assert form.startswith('<form method="post" action="' + url + '" class="contact-form"')
    assert 'value="Maria"' in form and 'value="Gold"' in form
    assert "<aside" not in form  # the form alone, into the opened panel

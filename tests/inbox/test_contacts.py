"""Save and edit a contact from the conversation side panel (F-CT2)."""

from django.urls import reverse

from inbox.models import ConversationEvent, CustomField, Label
from inbox.services.contacts import contact_update

from ..conftest import receive

HX = {"HX-Request": "true"}


def form(**extra):
    data = {"display_name": "Maria Garcia", "email": "maria@example.com", "labels": "vip, VIP"}
    data |= {"field_name_0": "order", "field_value_0": "4521"}
    return data | extra


def test_an_unknown_number_is_offered_to_be_saved(client, conversation, alice):
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert "Save as contact" in page.content.decode()


def test_saving_from_the_panel_updates_the_contact_and_the_thread(client, conversation, alice):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:contact", args=[conversation.public_id]), form(), headers=HX
    )
    assert response.status_code == 200
    contact = conversation.contact
    contact.refresh_from_db()
    assert contact.display_name == "Maria Garcia" and contact.email == "maria@example.com"
    assert [label.name for label in contact.labels.all()] == ["vip"]
    assert {v.field.name: v.value for v in contact.field_values.all()} == {"order": "4521"}
    html = response.content.decode()
    assert 'id="contact-panel"' in html and "Edit contact" in html
    assert "<dt>order</dt><dd>4521</dd>" in html  # the card shows the saved field at once
    chips = '<ul class="labels" aria-label="Labels"><li class="label-chip">vip</li></ul>'
    assert chips in html
    window = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert chips in window.content.decode()
    assert 'id="thread"' in html and "Saved as contact" in html
    event = conversation.events.get()
    assert event.kind == ConversationEvent.Kind.CONTACT and event.actor == alice


def test_validation_errors_are_shown_in_the_panel(client, conversation, alice):
    client.force_login(alice)
    url = reverse("inbox:contact", args=[conversation.public_id])
    data = form(display_name="", email="not-an-email", field_name_0="!!!")
    response = client.post(url, data, headers=HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.count('role="alert"') >= 3
    assert '<details class="contact-edit" open>' in html
    conversation.contact.refresh_from_db()
    assert conversation.contact.display_name == ""


def test_a_value_without_a_name_or_a_repeated_name_is_an_error(client, conversation, alice):
    client.force_login(alice)
    url = reverse("inbox:contact", args=[conversation.public_id])
    data = form(field_name_1="", field_value_1="orphan")
    assert client.post(url, data, headers=HX).status_code == 422
    data = form(field_name_1="order", field_value_1="again")
    assert "appears twice" in client.post(url, data, headers=HX).content.decode()


def test_custom_field_names_are_shared_and_clearing_a_value_removes_it(
    conversation, alice, alice_line
):
    other = receive(alice_line, "+12025550178").conversation
    for c in (conversation, other):
        contact_update(
            contact=c.contact,
            by=alice,
            display_name="X",
            email="",
            labels=["vip"],
            custom_fields={"order": "1"},
        )
    assert CustomField.objects.count() == 1 and Label.objects.count() == 1
    contact_update(
        contact=conversation.contact,
        by=alice,
        display_name="X",
        email="",
        labels=[],
        custom_fields={"order": ""},
    )
    assert not conversation.contact.field_values.exists()
    assert not conversation.contact.labels.exists()
    assert other.contact.field_values.count() == 1


def test_without_javascript_the_form_has_its_own_page(client, conversation, alice):
    client.force_login(alice)
    url = reverse("inbox:contact", args=[conversation.public_id])
    page = client.get(url)
    assert page.status_code == 200 and "<form" in page.content.decode()
    assert client.post(url, form()).status_code == 302
    assert client.post(url, form(email="nope")).status_code == 422

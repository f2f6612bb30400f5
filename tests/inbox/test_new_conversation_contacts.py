"""Starting a conversation from a contact or a number (F-CV2)."""

import html as html_lib
import re

import pytest
from django.urls import reverse

from inbox.forms.compose import NewConversationForm
from inbox.models import Contact, Conversation, Organisation
from inbox.pure.phone import EXAMPLE_NUMBER, normalise_phone
from inbox.services.contact_merge import contacts_merge

from ..conftest import receive

MARIA = "+12025550123"
MARIA_WORK = "+12025550177"


def test_the_help_texts_example_number_passes_our_own_check(alice):
    form = NewConversationForm(user=alice)
    assert EXAMPLE_NUMBER in form.fields["phone"].help_text
    assert normalise_phone(EXAMPLE_NUMBER) == "+447911123456"


def test_contacts_are_suggested_by_name_or_number(client, alice):
    Contact.objects.create(phone_e164="+12025550123", display_name="Maria Garcia")
    Contact.objects.create(phone_e164="+12025550124", display_name="Bob Stone")
    client.force_login(alice)
    url = reverse("inbox:contact_suggest")
    html = client.get(url, {"phone": "mari"}).content.decode()
    assert "Maria Garcia" in html and "Bob Stone" not in html
    html = client.get(url, {"phone": "555 0124"}).content.decode()
    assert "Bob Stone" in html and "Maria Garcia" not in html
    client.logout()
    assert client.get(url, {"phone": "mari"}).status_code == 302


@pytest.fixture
def maria(admin):
    """Maria, with her work number kept from a contact merged into hers (F-CT4)."""
    maria = Contact.objects.create(phone_e164=MARIA, display_name="Maria Garcia")
    contacts_merge(kept=maria, merged=Contact.objects.create(phone_e164=MARIA_WORK), by=admin)
    return maria


def suggestions(client, typed: str) -> str:
    return client.get(reverse("inbox:contact_suggest"), {"phone": typed}).content.decode()


def test_a_contact_found_by_a_secondary_number_is_suggested_with_that_number(
    client, alice, maria, django_assert_num_queries
):
    client.force_login(alice)
    # Session, user, the contacts with the number they were found by.
    with django_assert_num_queries(3):
        html = suggestions(client, "0177")
    assert "Maria Garcia" in html
    assert "+1 202-555-0177" in html and "+1 202-555-0123" not in html
    assert suggestions(client, "202 555 0177") == html


@pytest.mark.parametrize("typed", ["mari", "0123"])
def test_a_contact_found_by_name_or_primary_number_is_suggested_with_the_primary_number(
    client, alice, maria, typed
):
    client.force_login(alice)
    html = suggestions(client, typed)
    assert "Maria Garcia" in html
    assert "+1 202-555-0123" in html and "+1 202-555-0177" not in html


def test_the_suggestion_found_by_a_secondary_number_writes_to_that_number(
    client, alice, alice_line, maria, tasks
):
    at_home = receive(alice_line, MARIA).conversation
    client.force_login(alice)
    picked = re.search(r'href="([^"]+)"', suggestions(client, "555 0177"))[1]
    page = client.get(html_lib.unescape(picked)).content.decode()
    assert "To <strong>Maria Garcia</strong> (+1 202-555-0177)" in page
    assert 'value="+1 202-555-0177"' in page
    # The conversation with her home number is on another number than the one chosen.
    assert reverse("inbox:conversation", args=[at_home.public_id]) in page
    assert "with +1 202-555-0123" in page

    response = client.post(
        reverse("inbox:conversation_new"),
        {
            "sender": alice_line.pk,
            "phone": re.search(r'name="phone" value="([^"]+)"', page)[1],
            "body": "Hello",
            "idempotency_key": "k",
        },
    )
    started = Conversation.objects.exclude(pk=at_home.pk).get()
    assert response.url == reverse("inbox:conversation", args=[started.public_id])
    assert started.customer_address == MARIA_WORK and started.contact_id == maria.pk


def test_a_chosen_number_that_is_not_the_contacts_falls_back_to_its_primary_number(
    client, alice, maria
):
    client.force_login(alice)
    page = client.get(
        reverse("inbox:conversation_new"), {"contact": maria.public_id, "number": "+12025550999"}
    ).content.decode()
    assert 'value="+1 202-555-0123"' in page


def test_choosing_a_contact_fills_the_number_and_shows_visible_conversations_only(
    client, alice, alice_line, bob_line
):
    mine = receive(alice_line, "+12025550123").conversation
    theirs = receive(bob_line, "+12025550123").conversation
    Contact.objects.filter(pk=mine.contact_id).update(display_name="Maria Garcia")
    client.force_login(alice)
    html = client.get(
        reverse("inbox:conversation_new"), {"contact": mine.contact.public_id, "body": "Hi"}
    ).content.decode()
    assert 'value="+1 202-555-0123"' in html
    assert reverse("inbox:conversation", args=[mine.public_id]) in html
    assert reverse("inbox:conversation", args=[theirs.public_id]) not in html
    assert "Bob&#x27;s line" not in html
    assert "Hi</textarea>" in html


def test_sending_to_a_contact_with_a_thread_on_that_line_continues_it(
    client, alice, alice_line, tasks
):
    existing = receive(alice_line, "+12025550123").conversation
    client.force_login(alice)
    response = client.post(
        reverse("inbox:conversation_new"),
        {
            "sender": alice_line.pk,
            "phone": "+1 202 555 0123",
            "body": "Hello",
            "idempotency_key": "k",
        },
    )
    assert response.url == reverse("inbox:conversation", args=[existing.public_id])
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("region", ["GB"])
def test_a_national_number_is_read_in_the_organisations_region(
    client, alice, alice_line, tasks, region
):
    org = Organisation.load()
    org.phone_region = region
    org.save()
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation_new")).content.decode()
    assert '<option value="GB" selected>GB +44</option>' in page
    response = client.post(
        reverse("inbox:conversation_new"),
        {
            "sender": alice_line.pk,
            "phone": "07911 123456",
            "country": "GB",
            "body": "Hello",
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 302
    assert Conversation.objects.get().contact.phone_e164 == "+447911123456"


def test_a_name_that_was_not_picked_asks_for_a_suggestion(client, alice, alice_line):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:conversation_new"),
        {"sender": alice_line.pk, "phone": "Maria", "body": "Hello", "idempotency_key": "k"},
    )
    assert response.status_code == 422
    assert "Pick a contact from the suggestions, or type a number." in response.content.decode()

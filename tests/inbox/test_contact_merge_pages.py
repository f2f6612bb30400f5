"""The contact merge pages (F-CT4): pick, confirm side by side, merge; admins only."""

import pytest
from django.test import Client
from django.urls import reverse

from inbox.models import Contact, Conversation, ConversationEvent
from inbox.services.contacts import contact_update

from ..conftest import receive


@pytest.fixture
def maria(alice, alice_line):
    contact = receive(alice_line, "+12025550123").conversation.contact
    contact_update(
        contact=contact, by=alice, display_name="Maria Garcia", custom_fields={"Order ID": "A-1"}
    )
    return Contact.objects.get(pk=contact.pk)


@pytest.fixture
def work(alice, bob_line):
    contact = receive(bob_line, "+12025550177", "From work").conversation.contact
    contact_update(
        contact=contact,
        by=alice,
        display_name="M. Garcia",
        email="maria@work.example",
        custom_fields={"Order ID": "B-2"},
    )
    return Contact.objects.get(pk=contact.pk)


def confirm_url(kept, merged) -> str:
    return reverse("inbox:contact_merge", args=[kept.public_id, merged.public_id])


def test_admins_see_merge_with_on_the_contact_page_and_agents_do_not(client, admin, alice, maria):
    url = reverse("inbox:contact_detail", args=[maria.public_id])
    client.force_login(admin)
    assert "Merge with…" in client.get(url).content.decode()
    client.force_login(alice)
    assert "Merge with…" not in client.get(url).content.decode()


def test_the_pick_page_finds_other_contacts_by_name_or_number(client, admin, maria, work):
    client.force_login(admin)
    url = reverse("inbox:contact_merge_pick", args=[maria.public_id])

    html = client.get(url, {"q": "garcia"}).content.decode()
    assert confirm_url(maria, work) in html
    assert confirm_url(maria, maria) not in html  # never itself
    html = client.get(url, {"q": "555 0177"}, headers={"HX-Request": "true"}).content.decode()
    assert confirm_url(maria, work) in html and "<html" not in html
    assert "No other contact matches" in client.get(url, {"q": "nobody"}).content.decode()


def test_the_confirmation_shows_both_sides_and_what_will_happen(client, admin, maria, work):
    client.force_login(admin)

    response = client.get(confirm_url(maria, work))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Merge M. Garcia into Maria Garcia?" in html
    assert "1 conversation moves" in html
    assert "Bob&#x27;s line" in html  # the conversation moving, on Bob's line
    assert "Email is filled in: maria@work.example." in html
    assert "<td>A-1</td><td><del>B-2</del></td>" in html  # the conflict: which value stays
    assert reverse("inbox:contact_merge", args=[work.public_id, maria.public_id]) in html
    assert Contact.objects.count() == 2  # looking changes nothing


def test_the_confirmation_says_where_the_merged_number_goes(client, admin, maria, work):
    client.force_login(admin)
    numberless = Contact.objects.create(display_name="Maria at home")

    into_maria = client.get(confirm_url(maria, work)).content.decode()
    into_numberless = client.get(confirm_url(numberless, work)).content.decode()

    assert "+1 202-555-0177 becomes another number of Maria Garcia" in into_maria
    assert "+1 202-555-0177 becomes the phone number of Maria at home" in into_numberless


def test_the_confirmation_page_queries_are_pinned(
    client, admin, maria, work, django_assert_num_queries
):
    client.force_login(admin)
    # Session, user, both contacts, their labels, their numbers, their conversations, their
    # field values, the top bar's unread count.
    with django_assert_num_queries(8):
        client.get(confirm_url(maria, work))


def test_merging_lands_on_the_kept_contact_with_a_message(client, admin, maria, work):
    client.force_login(admin)

    response = client.post(confirm_url(maria, work), follow=True)

    assert response.redirect_chain[-1][0] == reverse("inbox:contact_detail", args=[maria.public_id])
    html = response.content.decode()
    assert "M. Garcia merged into Maria Garcia." in html
    assert "+1 202-555-0177" in html  # now one of Maria's other numbers
    assert Conversation.objects.filter(contact=maria).count() == 2
    assert client.get(reverse("inbox:contact_detail", args=[work.public_id])).status_code == 404


def test_the_thread_shows_the_merge(client, admin, maria, work):
    client.force_login(admin)
    client.post(confirm_url(maria, work))
    moved = Conversation.objects.get(customer_address="+12025550177")

    html = client.get(reverse("inbox:conversation", args=[moved.public_id])).content.decode()

    assert "Contacts merged: M. Garcia (+1 202-555-0177) into Maria Garcia" in html
    assert ConversationEvent.objects.filter(kind="merged", conversation=moved).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_agent_is_refused_with_a_clear_message_and_nothing_changes(
    client, alice, maria, work, method
):
    client.force_login(alice)

    response = getattr(client, method)(confirm_url(maria, work))

    assert response.status_code == 403
    html = response.content.decode()
    assert "Only an admin can merge contacts." in html
    assert "Bob&#x27;s line" not in html  # nothing of the other contact's conversations
    assert Contact.objects.count() == 2
    pick = client.get(reverse("inbox:contact_merge_pick", args=[maria.public_id]), {"q": "gar"})
    assert pick.status_code == 403 and confirm_url(maria, work) not in pick.content.decode()


def test_the_merge_needs_the_csrf_token(admin, maria, work):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    assert client.post(confirm_url(maria, work)).status_code == 403
    assert Contact.objects.count() == 2


def test_unknown_contacts_are_404s_and_the_same_contact_twice_is_refused(client, admin, maria):
    client.force_login(admin)
    unknown = reverse("inbox:contact_merge", args=[maria.public_id, "nosuchcontact"])
    assert client.get(unknown).status_code == 404
    assert client.post(unknown).status_code == 404
    missing_kept = reverse("inbox:contact_merge_pick", args=["nosuchcontact"])
    assert client.get(missing_kept).status_code == 404

    response = client.post(confirm_url(maria, maria))
    assert response.status_code == 403
    assert "cannot be merged with itself" in response.content.decode()


def test_merging_again_after_a_merge_is_a_404_not_an_error(client, admin, maria, work):
    client.force_login(admin)
    client.post(confirm_url(maria, work))

    assert client.post(confirm_url(maria, work)).status_code == 404


def test_signed_out_visitors_go_to_the_login(client, maria, work):
    response = client.post(confirm_url(maria, work))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Contact.objects.count() == 2


def test_starting_from_a_merged_contact_lists_each_conversation_with_its_number(
    client, admin, alice, alice_line, maria
):
    work = receive(alice_line, "+12025550177").conversation
    client.force_login(admin)
    client.post(confirm_url(maria, work.contact))
    client.force_login(alice)

    html = client.get(reverse("inbox:conversation_new"), {"contact": maria.public_id}).content
    html = html.decode()

    assert html.count("open it to continue there") == 2  # two threads on Alice's line
    assert "with +1 202-555-0177" in html  # the one with the other number says so
    assert "one per line and number" in html


def test_the_pick_search_queries_are_pinned(client, admin, maria, work, django_assert_num_queries):
    client.force_login(admin)
    url = reverse("inbox:contact_merge_pick", args=[maria.public_id])
    # Session, user, the contact, the matching contacts, the top bar's unread count.
    with django_assert_num_queries(5):
        client.get(url, {"q": "garcia"})

"""Who may open the contacts, import and saved-reply pages, and what each costs in queries."""

import pytest
from django.urls import reverse

from inbox.models import Contact
from inbox.services.contact_import import import_create
from inbox.services.saved_replies import saved_reply_save

from ..conftest import receive


@pytest.fixture
def things(admin, alice, alice_line):
    conversation = receive(alice_line, "+12025550123").conversation
    return {
        "contact": conversation.contact,
        "conversation": conversation,
        "import": import_create(by=alice, file_name="a.csv", text="phone\n+12025550199\n"),
        "reply": saved_reply_save(by=alice, title="Mine", body="Hi {{name}}", shared=False),
    }


@pytest.mark.parametrize(
    ("name", "arg"),
    [
        ("inbox:contacts", None),
        ("inbox:contact_new", None),
        ("inbox:contacts_export", None),
        ("inbox:contact_suggest", None),
        ("inbox:contacts_import", None),
        ("inbox:contact_detail", "contact"),
        ("inbox:contact_edit_page", "contact"),
        ("inbox:contact_import", "import"),
        ("inbox:import_errors", "import"),
        ("inbox:replies", None),
        ("inbox:reply_new", None),
        ("inbox:reply_edit", "reply"),
        ("inbox:reply_picker", "conversation"),
    ],
)
def test_every_page_asks_anonymous_visitors_to_sign_in(client, things, name, arg):
    args = [things[arg].public_id] if arg else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_posts_need_a_signed_in_user_too(client, things):
    for name, arg in (("inbox:import_run", "import"), ("inbox:reply_delete", "reply")):
        response = client.post(reverse(name, args=[things[arg].public_id]))
        assert response.status_code == 302 and "/accounts/login/" in response.url
    assert Contact.objects.count() == 1


def test_another_agent_cannot_start_someone_elses_import(client, bob, things):
    client.force_login(bob)
    response = client.post(reverse("inbox:import_run", args=[things["import"].public_id]))
    assert response.status_code == 404


def test_the_import_preview_queries_are_pinned(client, alice, things, django_assert_num_queries):
    client.force_login(alice)
    # Session, user, the import, the custom fields offered as targets, the top bar's count.
    with django_assert_num_queries(5):
        client.get(reverse("inbox:contact_import", args=[things["import"].public_id]))


def test_the_replies_page_queries_are_pinned(client, alice, things, django_assert_num_queries):
    client.force_login(alice)
    # Session, user, the replies, the top bar's count.
    with django_assert_num_queries(4):
        client.get(reverse("inbox:replies"))


def test_the_picker_queries_are_pinned(client, alice, things, django_assert_num_queries):
    client.force_login(alice)
    # Session, user, reach, the conversation, the contact's labels, fields and changes, the
    # custom fields' labels, the replies.
    with django_assert_num_queries(9):
        client.get(reverse("inbox:reply_picker", args=[things["conversation"].public_id]))


def test_the_new_conversation_from_a_contact_queries_are_pinned(
    client, alice, things, django_assert_num_queries
):
    client.force_login(alice)
    # Session, user, organisation, the contact, reach, its conversations, the sender IDs
    # (only one: it is chosen, and its notice looks up it and its hours: organisation,
    # holidays), the top bar's count.
    with django_assert_num_queries(10):
        client.get(reverse("inbox:conversation_new"), {"contact": things["contact"].public_id})

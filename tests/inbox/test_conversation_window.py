"""The walking-skeleton journey through the browser views: sign in, start, send, poll."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from inbox.models import Conversation, Message, MessageStatus
from inbox.views.live import format_version

from ..conftest import receive


def test_the_login_page_signs_an_agent_in_and_shows_my_inbox(client, alice, alice_line):
    receive(alice_line, "+12025550123", "Hello there")
    response = client.post(
        reverse("login"), {"username": "alice", "password": "alice"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("inbox:my_inbox")
    assert "Hello there" in response.content.decode()


def test_a_wrong_password_is_refused(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


@pytest.mark.parametrize("name", ["inbox:my_inbox", "inbox:conversation_new"])
def test_pages_need_a_signed_in_user(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_my_inbox_lists_only_my_conversations_with_a_customer_message(
    client, alice, bob, alice_line, bob_line
):
    receive(alice_line, "+12025550123", "For Alice")
    receive(bob_line, "+12025550178", "For Bob")
    client.force_login(alice)
    page = client.get(reverse("inbox:my_inbox")).content.decode()
    assert "For Alice" in page
    assert "For Bob" not in page


def test_starting_a_conversation_by_number_shows_the_message_queued(
    client, alice, alice_line, django_capture_on_commit_callbacks, tasks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inbox:conversation_new"),
            {
                "sender": alice_line.pk,
                "phone": "+1 (202) 555-0123",
                "body": "Welcome!",
                "idempotency_key": "abc",
            },
            follow=True,
        )
    conversation = Conversation.objects.get()
    assert conversation.contact.phone_e164 == "+12025550123"
    assert conversation.owner == alice
    page = response.content.decode()
    assert "Welcome!" in page
    assert 'data-status="queued"' in page
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_a_malformed_number_is_refused_with_a_clear_error_and_nothing_stored(
    client, alice, alice_line
):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:conversation_new"),
        {"sender": alice_line.pk, "phone": "555-0123", "body": "Hi", "idempotency_key": "abc"},
    )
    assert response.status_code == 422
    assert "country code" in response.content.decode()
    assert not Conversation.objects.exists()


def test_an_agent_cannot_send_from_someone_elses_sender_id(client, alice, bob_line):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:conversation_new"),
        {"sender": bob_line.pk, "phone": "+12025550123", "body": "Hi", "idempotency_key": "abc"},
    )
    assert response.status_code == 422
    assert not Message.objects.exists()


def test_an_htmx_send_answers_with_a_fresh_compose_box_and_the_thread(
    client, alice, alice_line, django_capture_on_commit_callbacks, tasks
):
    conversation = receive(alice_line, "+12025550123", "Hi").conversation
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inbox:send", args=[conversation.public_id]),
            {"body": "On my way", "idempotency_key": "k-1"},
            headers={"HX-Request": "true"},
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="thread"' in html and 'hx-swap-oob="true"' in html
    assert "On my way" in html and 'data-status="queued"' in html
    assert 'value="k-1"' not in html  # the next send gets a new key


def test_a_double_submitted_form_sends_once(
    client, alice, alice_line, django_capture_on_commit_callbacks, tasks
):
    conversation = receive(alice_line, "+12025550123", "Hi").conversation
    client.force_login(alice)
    url = reverse("inbox:send", args=[conversation.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"body": "Once", "idempotency_key": "same"})
        client.post(url, {"body": "Once", "idempotency_key": "same"})
    assert conversation.messages.filter(direction="out").count() == 1
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_the_thread_poll_answers_204_until_something_changes(client, alice, alice_line):
    conversation = receive(alice_line, "+12025550123", "Hi").conversation
    client.force_login(alice)
    url = reverse("inbox:thread", args=[conversation.public_id])
    version = format_version(conversation.changed_at)
    assert client.get(url, {"v": version}).status_code == 204

    message = conversation.messages.get()
    from inbox.services.status import message_status_apply

    outbound = Message.objects.create(
        conversation=conversation,
        direction="out",
        author=alice,
        body="Reply",
        status=MessageStatus.QUEUED,
        channel="sms",
    )
    message_status_apply(message_id=outbound.pk, status=MessageStatus.SENT)
    response = client.get(url, {"v": version})
    assert response.status_code == 200
    assert 'data-status="sent"' in response.content.decode()
    assert message.body in response.content.decode()


@pytest.mark.parametrize("name", ["inbox:conversation", "inbox:thread"])
def test_another_agent_guessing_a_conversation_id_gets_404(client, alice, carol, alice_line, name):
    conversation = receive(alice_line, "+12025550123", "Private").conversation
    client.force_login(carol)
    assert client.get(reverse(name, args=[conversation.public_id])).status_code == 404


def test_another_agent_cannot_send_in_a_conversation_they_cannot_see(
    client, carol, alice, alice_line
):
    conversation = receive(alice_line, "+12025550123", "Private").conversation
    client.force_login(carol)
    response = client.post(
        reverse("inbox:send", args=[conversation.public_id]),
        {"body": "Sneaky", "idempotency_key": "x"},
    )
    assert response.status_code == 404
    assert not conversation.messages.filter(direction="out").exists()


def test_an_admin_can_open_any_conversation(client, admin, alice_line):
    conversation = receive(alice_line, "+12025550123", "Hi").conversation
    client.force_login(admin)
    assert (
        client.get(reverse("inbox:conversation", args=[conversation.public_id])).status_code == 200
    )


def test_the_segment_counter_reports_encoding_and_parts(client, alice):
    client.force_login(alice)
    html = client.get(reverse("inbox:segments"), {"body": "ł" * 71}).content.decode()
    assert "71 characters" in html and "2 segments" in html and "UCS-2" in html


@pytest.mark.parametrize(
    ("headers", "queries"),
    [
        # Session, user, sender IDs and teams (once), conversation (with whether it is
        # read already, mentions me unseen, was joined by anyone or by me), thread
        # (messages, with whether they have attachments, and events), list rows, nav
        # (sender IDs, newest change, what changed since the counts were kept), filter
        # choices (labels, assignees), window state (the teammates and teams it can be
        # handed to, one UNION),
        # contact panel (custom field values, latest changes; its form is fetched when
        # opened), the rows' labels, every label name marked as the conversation and the
        # contact carry it, the business hours the compose box shows (the organisation's;
        # holidays too once on).
        ({}, 18),
        # Opened from the list: the same without the list (rows and their labels), the
        # navigation and the filters.
        ({"HX-Request": "true", "HX-Target": "window"}, 11),
    ],
    ids=["page", "opened from the list"],
)
def test_the_window_queries_do_not_grow_with_the_thread_or_the_contact(
    client, alice, alice_line, django_assert_num_queries, headers, queries, monkeypatch
):
    from inbox import versions
    from inbox.services.contacts import contact_update
    from inbox.services.sending import message_send

    # No change ever settles, so every request reads what changed since its counts were
    # kept: the figure does not depend on how fast a slow machine runs the test.
    monkeypatch.setattr(versions, "COMMIT_SLACK", timedelta(days=1))

    c = receive(alice_line, "+12025550101", "Hello").conversation
    client.force_login(alice)
    url = reverse("inbox:conversation", args=[c.public_id])
    client.get(url)  # the first visit marks it read; later visits write nothing

    def grow(n):
        for i in range(n):
            message_send(conversation=c, author=alice, body=f"Reply {i}")
            receive(alice_line, "+12025550101", f"Answer {i}")
        contact_update(
            contact=c.contact,
            by=alice,
            display_name="Maria",
            email="",
            labels=[f"label{i}" for i in range(n)],
            custom_fields={f"field{i}": str(i) for i in range(n)},
            conversation=c,
        )
        client.get(url, headers=headers)

    grow(1)
    with django_assert_num_queries(queries):
        client.get(url, headers=headers)
    grow(5)
    with django_assert_num_queries(queries):
        client.get(url, headers=headers)


def test_a_long_thread_opens_on_its_newest_messages_and_shows_earlier_ones_on_request(
    client, alice, alice_line, monkeypatch
):
    from inbox.selectors import window

    monkeypatch.setattr(window, "THREAD_PAGE", 3)
    c = receive(alice_line, "+12025550101", "Message 0").conversation
    for i in range(1, 5):
        receive(alice_line, "+12025550101", f"Message {i}")
    client.force_login(alice)
    url = reverse("inbox:conversation", args=[c.public_id])
    page = client.get(url).content.decode()
    assert all(f"Message {i}<" in page for i in (2, 3, 4))
    assert "Message 1<" not in page and "Message 0<" not in page
    assert "Show earlier messages" in page and f"{url}?show=6" in page

    earlier = client.get(
        reverse("inbox:thread", args=[c.public_id]) + "?show=6", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert all(f"Message {i}<" in earlier for i in range(5))
    assert "Show earlier messages" not in earlier
    assert "show=6" in earlier  # the live refresh keeps what the reader opened

    nonsense = client.get(url + "?show=lots").content.decode()
    assert "Message 1<" not in nonsense and "Show earlier messages" in nonsense


def open_from_list(client, conversation):
    """A row clicked in the list: htmx asks for the window only."""
    return client.get(
        reverse("inbox:conversation", args=[conversation.public_id]),
        headers={"HX-Request": "true", "HX-Target": "window"},
    )


def test_a_row_opened_from_the_list_gets_the_window_and_tells_the_page_it_was_read(
    client, alice, alice_line
):
    conversation = receive(alice_line, "+12025550123", "Is my order shipped?").conversation
    receive(alice_line, "+12025550178", "Still waiting")
    client.force_login(alice)

    response = open_from_list(client, conversation)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith("<title>+1 202-555-0123 · Converse</title>")
    assert 'id="window"' in page and "Is my order shipped?" in page
    assert 'id="contact-panel"' in page
    assert page.count('id="thread-header"') == 1
    # Neither the list nor the navigation: they stay as they are on the page.
    assert "conversation-list" not in page and "inbox-nav" not in page
    assert response.headers["HX-Trigger-After-Settle"] == '{"inbox-changed": {"unread": 1}}'

    again = open_from_list(client, conversation)
    assert "HX-Trigger-After-Settle" not in again.headers  # nothing was unread


def test_a_row_of_someone_elses_conversation_is_not_found(client, alice, bob_line):
    conversation = receive(bob_line, "+12025550178", "For Bob").conversation
    client.force_login(alice)
    assert open_from_list(client, conversation).status_code == 404


def test_the_navigation_redraws_itself_with_fresh_counts_for_the_inbox_shown(
    client, alice, bob, alice_line, shared_line, bob_line
):
    client.force_login(alice)
    page = client.get(reverse("inbox:sender_inbox", args=[shared_line.public_id]))
    refresh_url = f"{reverse('inbox:nav')}?kind=sender&amp;sender={shared_line.public_id}"
    assert f'hx-get="{refresh_url}" hx-trigger="inbox-changed from:body"' in page.content.decode()
    receive(shared_line, "+12025550123", "Hello")

    nav = client.get(refresh_url.replace("&amp;", "&")).content.decode()

    assert nav.strip().startswith('<nav id="inbox-nav"')
    assert 'aria-label="1 unread"' in nav
    current = re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"', nav)
    assert current == [reverse("inbox:sender_inbox", args=[shared_line.public_id])]
    # Someone else's sender ID is no inbox of mine.
    other = client.get(reverse("inbox:nav"), {"kind": "sender", "sender": bob_line.public_id})
    assert other.status_code == 404


def test_pages_say_they_differ_for_htmx_requests(client, alice, alice_line):
    conversation = receive(alice_line, "+12025550123", "Hello").conversation
    client.force_login(alice)
    for url in (
        reverse("inbox:my_inbox"),
        reverse("inbox:conversation", args=[conversation.public_id]),
    ):
        vary = client.get(url).headers["Vary"]
        assert {"HX-Request", "HX-Target"} <= {v.strip() for v in vary.split(",")}


def test_the_navigation_redraw_queries_do_not_grow_with_sender_ids(
    client, alice, alice_line, django_assert_num_queries, monkeypatch
):
    from inbox import versions
    from inbox.models import SenderId

    monkeypatch.setattr(versions, "COMMIT_SLACK", timedelta(0))  # counts are kept at once
    receive(alice_line, "+12025550101", "Hello")
    client.force_login(alice)
    url = reverse("inbox:nav")
    for n in (1, 6):
        for i in range(SenderId.objects.count(), n):
            line = SenderId.objects.create(address=f"+1415555{i:04d}", label=f"Line {i}")
            line.shared_with.add(alice)
            receive(line, "+12025550101", "Hello")
        client.get(url)  # counts them
        # Session, user, sender IDs, reach, newest change: the counts are kept.
        with django_assert_num_queries(5):
            nav = client.get(url).content.decode()
        assert len(re.findall(r'nav-label">[^<]+</span><span class="badge"', nav)) == n

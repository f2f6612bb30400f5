"""Inbox lists (F-IN1…F-IN6): which conversations each list shows, filters, search, paging."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import Channel, Conversation, Label, ReadState, SenderId
from inbox.services.sending import message_send

from ..conftest import receive


def rows(response) -> str:
    return response.content.decode()


def conversation(sender, phone, body="Hello", name=""):
    c = receive(sender, phone, body).conversation
    if name:
        c.contact.display_name = name
        c.contact.save()
    return c


def test_my_inbox_lists_my_conversations_unread_first_time(
    client, alice, bob, alice_line, bob_line
):
    conversation(alice_line, "+12025550101", "For alice")
    conversation(bob_line, "+12025550102", "For bob")
    client.force_login(alice)
    page = rows(client.get(reverse("inbox:my_inbox")))
    assert "For alice" in page and "For bob" not in page
    assert "conversation-row unread" in page


def test_a_sender_id_inbox_lists_only_that_sender(client, alice, alice_line, shared_line):
    conversation(alice_line, "+12025550101", "On my line")
    conversation(shared_line, "+12025550102", "On the shared line")
    client.force_login(alice)
    page = rows(client.get(reverse("inbox:sender_inbox", args=[shared_line.public_id])))
    assert "On the shared line" in page and "On my line" not in page


def test_the_nav_counts_unread_per_list(client, alice, alice_line, shared_line):
    conversation(alice_line, "+12025550101")
    conversation(alice_line, "+12025550102")
    conversation(shared_line, "+12025550103")
    client.force_login(alice)
    nav = client.get(reverse("inbox:my_inbox")).context["nav"]
    by_sender = {s.pk: s.unread for s in nav.senders}
    assert by_sender == {alice_line.pk: 2, shared_line.pk: 1}
    assert nav.mine == 2  # the shared-line conversation went to an admin (first contact)


def test_sent_messages_lists_conversations_i_replied_to(client, alice, alice_line):
    replied = conversation(alice_line, "+12025550101", "Answered one")
    conversation(alice_line, "+12025550102", "Unanswered one")
    message_send(conversation=replied, author=alice, body="Here you go")
    client.force_login(alice)
    page = rows(client.get(reverse("inbox:sent")))
    assert "Here you go" in page and "Unanswered one" not in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "closed"}, {"closed"}),
        ({"waiting": "overdue"}, {"late"}),
        # My Inbox holds owned conversations: none needs a rep.
        ({"waiting": "rep_needed"}, set()),
        ({"waiting": "pending"}, {"late", "whatsapp"}),
        ({"channel": "whatsapp"}, {"whatsapp"}),
        ({"label": "VIP"}, {"late"}),
        ({"q": "Zoë"}, {"whatsapp"}),
    ],
)
def test_filters_narrow_the_list(client, admin, alice, alice_line, params, expected):
    wa = SenderId.objects.create(
        address="whatsapp:+14155550111", channel=Channel.WHATSAPP, owner=alice
    )
    late = conversation(alice_line, "+12025550101", "late")
    Conversation.objects.filter(pk=late.pk).update(
        waiting_since=timezone.now() - timedelta(minutes=10)
    )
    late.contact.labels.add(Label.objects.create(name="VIP"))
    conversation(wa, "+12025550102", "whatsapp", name="Zoë Martin")
    closed = conversation(alice_line, "+12025550103", "closed")
    Conversation.objects.filter(pk=closed.pk).update(status="closed", waiting_since=None)
    client.force_login(alice)
    shown = {c.last_message_preview for c in client.get("/", params).context["conversations"]}
    assert shown == expected


@pytest.mark.parametrize(
    "query",
    [
        "+1 202-555-0123",
        "(202) 555-0123",
        "202.555.0123",
        "12025550123",
        "0012025550123",
        "555-0123",
        "0123",
    ],
)
def test_search_finds_a_phone_number_in_any_common_format(client, alice, alice_line, query):
    conversation(alice_line, "+12025550123", "found")
    conversation(alice_line, "+12025550999", "other")
    client.force_login(alice)
    shown = [c.last_message_preview for c in client.get("/", {"q": query}).context["conversations"]]
    assert shown == ["found"]


def test_search_finds_a_number_typed_in_national_format(client, alice, alice_line):
    conversation(alice_line, "+447700900123", "found")
    conversation(alice_line, "+12025550123", "other")
    client.force_login(alice)
    rows = client.get("/", {"q": "07700 900123"}).context["conversations"]
    assert [c.last_message_preview for c in rows] == ["found"]


def test_search_finds_a_name_part_and_a_contact_id(client, alice, alice_line):
    c = conversation(alice_line, "+12025550123", "found", name="Margaret Hamilton")
    conversation(alice_line, "+12025550999", "other", name="Ada")
    client.force_login(alice)
    for query in ("hamil", c.contact.public_id):
        shown = [x.pk for x in client.get("/", {"q": query}).context["conversations"]]
        assert shown == [c.pk]


def test_older_pages_follow_the_keyset_and_keep_the_filters(client, alice, alice_line, monkeypatch):
    from inbox.selectors import lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 2)
    for i in range(5):
        conversation(alice_line, f"+1202555010{i}", f"m{i}")
    client.force_login(alice)
    pages = []
    url = "/?status=assigned"
    while url:
        response = client.get(url, HTTP_HX_REQUEST="true")
        pages.append([c.last_message_preview for c in response.context["conversations"]])
        url = response.context["more_url"]
        assert not url or ("status=assigned" in url and "after=" in url)
    assert pages == [["m4", "m3"], ["m2", "m1"], ["m0"]]


def test_an_older_page_answers_rows_that_stop_the_refresh(client, alice, alice_line):
    conversation(alice_line, "+12025550101")
    client.force_login(alice)
    first = client.get("/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="conversation-list")
    assert "data-older" not in rows(first)
    cursor = f"{timezone.now().timestamp() + 60:.6f}_999999"
    older = client.get(f"/?after={cursor}", HTTP_HX_REQUEST="true")
    assert "data-older" in rows(older)


def test_the_team_inbox_shows_an_agent_inbox_with_the_agent_unread_state(
    client, admin, alice, alice_line
):
    c = conversation(alice_line, "+12025550101", "Help me")
    client.force_login(admin)
    agents = client.get(reverse("inbox:team_inbox")).context["agents"]
    assert [(a.username, a.unread) for a in agents] == [("alice", 1)]
    page = client.get(reverse("inbox:team_agent", args=["alice"]))
    assert [x.is_unread for x in page.context["conversations"]] == [True]
    assert '<span class="badge">1</span>' in rows(page)  # alice's unread, in the header

    client.get(reverse("inbox:conversation", args=[c.public_id]))
    assert ReadState.objects.filter(user=admin, conversation=c).exists()
    assert not ReadState.objects.filter(user=alice, conversation=c).exists()
    page = client.get(reverse("inbox:team_agent", args=["alice"]))
    assert [x.is_unread for x in page.context["conversations"]] == [True]


# Every list: session, user, the rows, the rows' conversation labels, the nav (sender IDs, a
# standard user's sender IDs and teams, the newest change and the conversations changed since
# the counts were kept), the filter choices (labels, assignees). The Sent and sender ID lists
# of a standard user need their sender IDs and teams for the rows too (looked up once); a
# sender ID inbox adds the sender ID; the Team Inbox adds the agent, the agents, the newest
# change again and their unread counts.
LIST_PAGES = [
    ("alice", 10, lambda s: reverse("inbox:my_inbox")),
    ("alice", 10, lambda s: reverse("inbox:sent")),
    ("alice", 11, lambda s: reverse("inbox:sender_inbox", args=[s.public_id])),
    ("admin", 10, lambda s: reverse("inbox:sender_inbox", args=[s.public_id])),
    ("admin", 13, lambda s: reverse("inbox:team_agent", args=["alice"])),
    ("alice", 10, lambda s: "/?q=Customer&status=assigned&waiting=pending&channel=sms"),
    # All conversations (admins): no sender ID or reach to look up; report filters add none.
    ("admin", 9, lambda s: reverse("inbox:all_conversations")),
    (
        "admin",
        9,
        lambda s: (
            reverse("inbox:all_conversations") + "?on=customer&since=2000-01-01&answer=answered"
        ),
    ),
]


@pytest.mark.parametrize(("who", "queries", "url"), LIST_PAGES)
def test_list_queries_do_not_grow_with_rows(
    client, admin, alice, alice_line, django_assert_num_queries, who, queries, url
):
    def fill(start, n):
        for i in range(start, start + n):
            c = conversation(alice_line, f"+1202555{i:04d}", name="Customer")
            message_send(conversation=c, author=alice, body="Reply")
            receive(alice_line, c.contact.phone_e164, "Again")

    client.force_login({"alice": alice, "admin": admin}[who])
    client.get(url(alice_line))  # the counts are kept from here, then follow the changes
    fill(0, 3)
    with django_assert_num_queries(queries):
        response = client.get(url(alice_line))
    assert len(response.context["conversations"]) == 3
    fill(3, 27)
    with django_assert_num_queries(queries):
        response = client.get(url(alice_line))
    assert len(response.context["conversations"]) == 30


def test_a_sender_ids_full_name_and_number_are_in_the_titles_of_its_link_and_rows(client, alice):
    line = SenderId.objects.create(
        address="+14155550177",
        channel=Channel.SMS,
        label="Customer support (weekends and holidays)",
        owner=alice,
    )
    conversation(line, "+12025550101", "Hello")
    client.force_login(alice)
    page = rows(client.get(reverse("inbox:my_inbox")))
    full = 'title="Customer support (weekends and holidays) (+14155550177)"'
    assert page.count(full) == 2  # the navigation's link and the row's sender
    assert '<span class="nav-label">Customer support (weekends and holidays)</span>' in page


def test_a_customer_known_by_neither_name_nor_number_is_listed_by_their_address(client, alice):
    mailbox = SenderId.objects.create(
        channel=Channel.EMAIL, address="support@shop.test", label="Shop support"
    )
    mailbox.shared_with.add(alice)
    receive(mailbox, "jane@customer.test", "Where is my order?")
    client.force_login(alice)

    page = client.get(reverse("inbox:sender_inbox", args=[mailbox.public_id])).content.decode()

    assert '<span class="name" title="jane@customer.test">jane@customer.test</span>' in page
    assert 'aria-label="Select jane@customer.test"' in page

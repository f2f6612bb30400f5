"""The main journeys of an agent's day, in a real browser (F-UI1, F-IN7)."""

import re

import pytest
from playwright.sync_api import expect

from inbox.models import Conversation, Message, MessageStatus
from inbox.services.assignment import conversation_assign

from ..conftest import receive
from .conftest import settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Stands in for the browser's Notification API and records what would have been shown.
FAKE_NOTIFICATIONS = """
window.__notifications = [];
window.Notification = function (title, options) {
  window.__notifications.push(title);
};
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def test_an_agent_answers_an_inbound_message(sign_in, alice, alice_line, tasks):
    receive(alice_line, "+12025550123", "Is my order shipped?")
    page = sign_in(alice)

    row = page.locator(".conversation-row", has_text="Is my order shipped?")
    expect(row).to_have_class(re.compile("unread"))
    expect(page).to_have_title(re.compile(r"^\(1\) "))

    page.keyboard.press("j")  # next conversation: the first one
    expect(page.locator("#thread")).to_contain_text("Is my order shipped?")

    page.fill("#id_body", "It left this morning!")
    page.keyboard.press("Control+Enter")

    reply = page.locator(".message-out", has_text="It left this morning!")
    expect(reply).to_have_attribute("data-status", "queued")
    expect(reply.get_by_label("Queued")).to_be_visible()
    expect(page.locator("#id_body")).to_have_value("")
    assert Message.objects.get(body="It left this morning!").status == MessageStatus.QUEUED
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_an_assigned_conversation_arrives_live(sign_in, alice, admin, bob_line, tasks):
    conversation = receive(bob_line, "+12025550123", "Can someone help?").conversation
    page = sign_in(alice, init_script=FAKE_NOTIFICATIONS)
    expect(page.locator(".empty-list")).to_be_visible()
    page.evaluate("window.__notReloaded = true")

    # The admin assigns it: the service records the change, and the stream tells her page.
    conversation_assign(conversation=conversation, assignee=alice, by=admin)

    expect(page.locator(".conversation-row", has_text="Can someone help?")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^\(1\) "))
    expect(page.locator("#live")).to_have_text("1")
    assert page.evaluate("window.__notReloaded") is True
    notifications = page.evaluate("window.__notifications")
    assert "Assigned to you: +1 202-555-0123" in notifications


def test_a_new_customer_message_appears_in_the_open_thread(sign_in, alice, alice_line, tasks):
    conversation = receive(alice_line, "+12025550123", "Hello").conversation
    page = sign_in(alice)
    page.click(f"a[href='/c/{conversation.public_id}/']")
    expect(page.locator("#thread")).to_contain_text("Hello")

    receive(alice_line, "+12025550123", "Are you there?")

    expect(page.locator("#thread")).to_contain_text("Are you there?")
    expect(page.locator(".window-badges .waiting")).to_contain_text("Pending")


def test_a_note_and_a_close_from_the_window(sign_in, alice, alice_line, tasks):
    conversation = receive(alice_line, "+12025550123", "Thanks, all good").conversation
    page = sign_in(alice)
    page.goto(page.url + f"c/{conversation.public_id}/")

    page.get_by_text("Add a private note").click()
    page.get_by_label("Private note").fill("Customer happy, closing")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".note")).to_contain_text("Customer happy, closing")

    page.get_by_role("button", name="Close").click()
    expect(page.locator("#thread-header .status")).to_have_text("Closed")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()


def test_a_long_thread_scrolls_in_its_pane_and_shows_earlier_messages_in_place(
    sign_in, alice, alice_line, tasks
):
    conversation = receive(alice_line, "+12025550123", "Message 0").conversation
    for i in range(1, 60):
        receive(alice_line, "+12025550123", f"Message {i}")
    page = sign_in(alice)
    page.goto(page.url + f"c/{conversation.public_id}/")

    def bubble(n):
        return page.locator(".bubble p", has_text=re.compile(rf"^Message {n}$"))

    # The newest message and the reply box are on screen, however long the thread.
    expect(bubble(59)).to_be_in_viewport()
    expect(page.get_by_placeholder(re.compile("Write a reply"))).to_be_in_viewport()
    expect(bubble(10)).to_have_count(1)
    expect(bubble(9)).to_have_count(0)

    page.get_by_role("link", name="Show earlier messages").click()
    expect(bubble(0)).to_have_count(1)
    expect(bubble(10)).to_be_in_viewport()  # the reader stays where they were
    expect(bubble(59)).not_to_be_in_viewport()
    expect(page.get_by_role("link", name="Show earlier messages")).to_have_count(0)


def test_opening_a_row_from_older_conversations_keeps_the_list_where_it_was(
    sign_in, alice, alice_line, tasks
):
    oldest = receive(alice_line, "+12025550100", "The oldest question").conversation
    for n in range(1, 52):
        receive(alice_line, f"+120255501{n:02d}", f"Question {n}")
    page = sign_in(alice, init_script="window.__notReloaded = true")
    page.evaluate("window.__notReloaded = 'still here'")
    my_inbox = page.locator("#inbox-nav a", has_text="My Inbox").locator(".badge")
    expect(my_inbox).to_have_text("52")
    settle(page)  # the stream's catch-up may redraw the list once

    page.get_by_role("link", name="Older conversations").click()
    row = page.locator(".conversation-row", has_text="The oldest question")
    row.locator("a").click()

    expect(page.locator("#thread")).to_contain_text("The oldest question")
    expect(page).to_have_url(re.compile(rf"/c/{oldest.public_id}/$"))
    expect(page).to_have_title(re.compile(r"^\(51\) \+1 202-555-0100 · Converse$"))
    # The same page: the older conversations stay loaded, the row is marked open and read.
    assert page.evaluate("window.__notReloaded") == "still here"
    expect(row).to_have_class(re.compile(r"\bactive\b"))
    expect(row).not_to_have_class(re.compile(r"\bunread\b"))
    expect(page.locator(".conversation-row.active")).to_have_count(1)
    expect(my_inbox).to_have_text("51")
    expect(page.locator("#live")).to_have_text("51")
    expect(page.locator(".list-header .badge")).to_have_text("51")
    # Keyboard: k moves to the row above, in place too.
    page.keyboard.press("k")
    expect(page.locator("#thread")).to_contain_text("Question 1")
    assert page.evaluate("window.__notReloaded") == "still here"
    # Back goes to the conversation opened before.
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/c/{oldest.public_id}/$"))
    expect(page.locator("#thread")).to_contain_text("The oldest question")
    # A filter redraws the list: the open conversation's row is marked in it still.
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Channel").select_option("sms")
    expect(page).to_have_url(re.compile(r"channel=sms"))
    expect(page.locator(".conversation-row.active")).to_have_count(0)  # on an older page
    page.get_by_role("link", name="Older conversations").click()
    expect(row).to_have_class(re.compile(r"\bactive\b"))


def test_older_conversations_on_their_way_are_not_lost_to_a_live_redraw(
    sign_in, alice, alice_line, tasks
):
    receive(alice_line, "+12025550100", "The oldest question")
    for n in range(1, 51):
        receive(alice_line, f"+120255501{n:02d}", f"Question {n}")
    page = sign_in(alice)
    my_inbox = page.locator("#inbox-nav a", has_text="My Inbox").locator(".badge")
    expect(my_inbox).to_have_text("51")
    settle(page)

    # The older page is held on its way while a customer writes: the news redraws the
    # navigation, and must not redraw the list under the link whose answer is coming.
    held = []
    page.route(re.compile(r"[?&]after="), lambda route: held.append(route))
    page.get_by_role("link", name="Older conversations").click()
    expect(page.locator("#conversation-list .more.htmx-request")).to_have_count(1)
    receive(alice_line, "+12025550199", "Anyone there?")
    expect(my_inbox).to_have_text("52")
    expect(page.locator(".htmx-request:not(.more)")).to_have_count(0)
    assert len(held) == 1
    held[0].continue_()

    expect(page.locator(".conversation-row", has_text="The oldest question")).to_be_visible()
    expect(page.locator(".conversation-row", has_text="Question 50")).to_have_count(1)


def test_on_a_phone_a_row_opens_the_thread_and_back_returns_to_the_list(
    sign_in, alice, alice_line, tasks
):
    for n in range(2):
        receive(alice_line, f"+120255501{n:02d}", f"Question {n}")
    page = sign_in(alice)
    page.set_viewport_size({"width": 400, "height": 800})

    page.locator(".conversation-row", has_text="Question 1").locator("a").click()
    expect(page.locator("#thread")).to_be_visible()
    expect(page.locator(".list-pane")).to_be_hidden()
    expect(page.locator("#live")).to_have_text("1")

    page.go_back()
    expect(page.locator(".list-pane")).to_be_visible()
    expect(page.locator(".thread-pane")).to_be_hidden()
    # The list comes back as it is now: the conversation just read is no longer bold.
    expect(page.locator(".conversation-row.unread")).to_have_count(1)
    expect(page.locator("#live")).to_have_text("1")


def test_an_admin_opening_an_agents_row_leaves_it_unread_for_the_agent(
    sign_in, admin, alice, alice_line, tasks
):
    receive(alice_line, "+12025550100", "Hello Alice")
    page = sign_in(admin)
    page.goto(page.url + f"team/{alice.username}/")
    row = page.locator(".conversation-row", has_text="Hello Alice")

    row.locator("a").click()

    expect(page.locator("#thread")).to_contain_text("Hello Alice")
    expect(row).to_have_class(re.compile(r"\bactive\b"))
    expect(row).to_have_class(re.compile(r"\bunread\b"))  # still unread for Alice


def test_a_row_that_is_no_longer_ours_opens_the_page_that_says_so(
    sign_in, alice, alice_line, bob, bob_line, tasks
):
    conversation = receive(alice_line, "+12025550100", "Hello Alice").conversation
    page = sign_in(alice)
    settle(page)  # the list as drawn, its stream's catch-up done
    # Moved to Bob's line and given to Bob after Alice's list was drawn (behind the
    # services' back, so nothing tells her page).
    Conversation.objects.filter(pk=conversation.pk).update(sender_id=bob_line, owner=bob)

    page.locator(".conversation-row", has_text="Hello Alice").locator("a").click()

    expect(page).to_have_url(re.compile(rf"/c/{conversation.public_id}/$"))
    expect(page.locator("body")).to_contain_text("Not Found")
    expect(page.locator("#thread")).to_have_count(0)

"""An agent's day in a real browser: teams, the list on a laptop, a phone, live counts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import Attachment, Channel, Conversation, SenderId, TeamMode

from ..conftest import receive
from .conftest import settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def grab_line(support_team):
    support_team.mode = TeamMode.GRAB
    support_team.save()
    return SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team line", team=support_team
    )


def test_grab_unlocks_the_reply_box_and_files_can_be_checked_before_sending(
    sign_in, admin, alice, grab_line, tasks, tmp_path
):
    conversation = receive(grab_line, "+12025550123", "Anyone there?").conversation
    page = sign_in(alice)
    page.goto(page.url + f"c/{conversation.public_id}/")
    expect(page.locator("#compose")).to_contain_text("You can read this conversation but not")

    page.get_by_role("button", name="Grab").click()

    expect(page.locator("#thread-header")).to_contain_text("Owner: Alice")
    reply = page.get_by_placeholder(re.compile("Write a reply"))
    expect(reply).to_be_visible()  # no reload needed

    photo, invoice = tmp_path / "photo.png", tmp_path / "invoice.pdf"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    invoice.write_bytes(b"%PDF-1.4 test")
    page.locator(".attach-input").set_input_files([str(photo), str(invoice)])
    previews = page.locator(".attach-preview")
    expect(previews).to_have_count(2)
    expect(previews.first.locator("img")).to_have_count(1)  # a thumbnail for the image
    page.get_by_role("button", name="Remove photo.png").click()
    expect(previews).to_have_count(1)
    expect(previews).to_contain_text("invoice.pdf")

    reply.fill("Here is your invoice")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-out", has_text="Here is your invoice")).to_be_visible()
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["invoice.pdf"]

    # Leaving gives it back to the team: the reply box locks again, Grab is offered again.
    page.get_by_role("button", name="Leave").click()
    expect(page.get_by_role("button", name="Grab")).to_be_visible()
    expect(page.locator("#compose")).to_contain_text("You can read this conversation but not")


def test_the_list_on_a_laptop_badges_bulk_select_all_and_confirmations(
    sign_in, admin, alice, bob, alice_line, tasks
):
    for n in range(3):
        receive(alice_line, f"+120255501{n:02d}", f"Question {n}")
    Conversation.objects.update(waiting_since=timezone.now() - timedelta(minutes=4))
    alice.last_name = "Johnson"
    alice.save()
    page = sign_in(admin)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(page.url + f"team/{alice.username}/")  # rows show their owner here
    settle(page)  # the stream's first catch-up may redraw the list once

    rows = page.locator(".conversation-row")
    expect(rows).to_have_count(3)
    for i in range(3):
        row_box = rows.nth(i).bounding_box()
        badge_box = rows.nth(i).locator(".waiting-soon_overdue").bounding_box()
        assert badge_box["x"] >= row_box["x"]
        assert badge_box["x"] + badge_box["width"] <= row_box["x"] + row_box["width"]

    # The bulk bar comes with the first tick; the agent list only for "Assign to…".
    expect(page.locator(".bulk-bar")).to_be_hidden()
    rows.filter(has_text="Question 0").locator(".row-select").check()
    assignee = page.get_by_label("Assign to", exact=True)
    expect(assignee).to_be_hidden()
    page.get_by_label("With the selected conversations").select_option("assign")
    expect(assignee).to_be_visible()
    page.get_by_label("With the selected conversations").select_option("close")
    expect(assignee).to_be_hidden()

    # A tick survives a search that hides its row, and is still acted on.
    search = page.get_by_label("Search by name, phone number or contact id")
    search.press_sequentially("0101")
    expect(rows).to_have_count(1)
    expect(page.locator(".bulk-count")).to_have_text("1 selected")
    search.select_text()
    search.press("Backspace")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Question 0").locator(".row-select")).to_be_checked()

    page.get_by_label("All on this page").check()
    expect(page.locator(".bulk-count")).to_have_text("3 selected")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".flash")).to_have_text("3 closed")
    assert set(Conversation.objects.values_list("status", flat=True)) == {"closed"}


def test_on_a_phone_a_conversation_opens_on_its_newest_message_and_back_returns(
    sign_in, alice, alice_line, shared_line, tasks
):
    conversation = receive(shared_line, "+12025550123", "Message 0").conversation
    for i in range(1, 60):
        receive(shared_line, "+12025550123", f"Message {i}")
    Conversation.objects.filter(pk=conversation.pk).update(owner=alice)
    page = sign_in(alice)
    page.set_viewport_size({"width": 390, "height": 844})

    for link in page.locator(".topnav a").all():  # the top bar clips none of its links
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, link.text_content()
    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_label("Status", exact=True)).to_be_in_viewport()  # filters reachable
    page.keyboard.press("Escape")

    page.locator("#inbox-nav a", has_text="Support").click()
    expect(page).to_have_url(re.compile(rf"/s/{shared_line.public_id}/$"))
    page.locator(".conversation-row", has_text="Message 59").locator("a").click()

    newest = page.locator(".bubble p", has_text=re.compile(r"^Message 59$"))
    expect(newest).to_be_in_viewport()
    expect(page.get_by_placeholder(re.compile("Write a reply"))).to_be_in_viewport()

    page.get_by_role("link", name="Contact", exact=True).click()
    expect(page.locator("#contact-panel")).to_be_in_viewport()
    expect(page.locator("#contact-panel")).to_contain_text("+1 202-555-0123")
    page.get_by_role("link", name="Back to the conversation").click()
    expect(page.locator("#contact-panel")).to_be_hidden()

    page.get_by_role("link", name="Back to the list").click()
    expect(page).to_have_url(re.compile(rf"/s/{shared_line.public_id}/$"))
    expect(page.locator(".list-pane")).to_be_visible()
    expect(page.locator(".list-header h1")).to_contain_text("Support")


# Records every value the unread counts take, however briefly.
WATCH_COUNTS = """
window.__counts = [];
new MutationObserver(function () {
  document.querySelectorAll("#live, #inbox-nav .inbox-nav a[href='/'] .badge").forEach(
    function (el) { window.__counts.push(el.textContent.trim()); });
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_a_message_into_the_open_conversation_never_bumps_the_unread_count(
    sign_in, alice, alice_line, tasks
):
    receive(alice_line, "+12025550100", "Another customer")
    conversation = receive(alice_line, "+12025550123", "Hello").conversation
    page = sign_in(alice, init_script=WATCH_COUNTS)
    page.locator(".conversation-row", has_text="Hello").locator("a").click()
    expect(page.locator("#live")).to_have_text("1")
    page.evaluate("window.__counts = []")

    receive(alice_line, "+12025550123", "Are you there?")

    expect(page.locator("#thread")).to_contain_text("Are you there?")
    page.wait_for_timeout(500)  # the push its reading makes is on its way
    settle(page)  # and asked and answered
    counts = page.evaluate("window.__counts")
    assert counts and set(counts) == {"1"}, counts
    assert conversation.read_states.get(user=alice).last_read_at


# htmx settles what it swapped in 2 s late (its default is 20 ms; a busy machine can take
# as long), set once htmx has started on the page.
SLOW_SETTLE = """
document.addEventListener("htmx:load", function () {
  htmx.config.defaultSettleDelay = 2000;
}, { once: true });
"""


def test_a_message_the_moment_a_conversation_opens_is_not_counted_unread(
    sign_in, alice, alice_line, tasks
):
    receive(alice_line, "+12025550100", "Another customer")
    receive(alice_line, "+12025550123", "Hello")
    page = sign_in(alice, init_script=WATCH_COUNTS + SLOW_SETTLE)
    settle(page)
    page.locator(".conversation-row", has_text="Hello").locator("a").click()
    expect(page.locator("#thread")).to_contain_text("Hello")
    expect(page.locator("#live")).to_have_text("1")
    page.evaluate("window.__counts = []")

    receive(alice_line, "+12025550123", "Are you there?")  # before htmx has settled

    expect(page.locator("#thread")).to_contain_text("Are you there?")
    page.wait_for_timeout(500)
    counts = page.evaluate("window.__counts")
    assert counts and set(counts) == {"1"}, counts

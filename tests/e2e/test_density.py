"""How much a screen shows: conversations above the fold on a laptop, the thread on a phone,
and the list's tools out of the way until wanted."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import Channel, Contact, Conversation, Label, SenderId

from ..conftest import receive
from .conftest import settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ["Maria Garcia", "James Smith", "Priya Patel", "Ivan A.", "Sara E.", "Olivia C."]

# Rows whose whole box is inside both the viewport and the list pane.
FULLY_VISIBLE_ROWS = """() => {
  const pane = document.querySelector('.list-pane').getBoundingClientRect();
  return [...document.querySelectorAll('#conversation-list .conversation-row')].filter(row => {
    const box = row.getBoundingClientRect();
    const bottom = Math.min(pane.bottom, innerHeight);
    return box.height > 0 && box.top >= pane.top && box.bottom <= bottom;
  }).length;
}"""


@pytest.fixture
def busy_inbox(alice, alice_line, shared_line):
    """Thirty conversations like the demo's: names and bare numbers, two sender IDs and
    WhatsApp, waiting badges, a contact label, some closed."""
    whatsapp = SenderId.objects.create(
        address="whatsapp:+14155550111", channel=Channel.WHATSAPP, label="WhatsApp support"
    )
    whatsapp.shared_with.add(alice)
    vip = Label.objects.create(name="vip")
    lines = [alice_line, shared_line, whatsapp]
    for n in range(30):
        phone = f"+1202555{n:04d}"
        if n < len(NAMES):
            contact = Contact.objects.create(phone_e164=phone, display_name=NAMES[n])
            contact.labels.add(vip)
        message = receive(lines[n % 3], phone, f"Question {n}: is my order shipped yet?")
        waited = timedelta(minutes=[2, 20, 90][n % 3])
        Conversation.objects.filter(pk=message.conversation_id).update(
            owner=alice,
            status="closed" if n % 4 == 0 else "assigned",
            waiting_since=timezone.now() - waited,
        )


def test_a_laptop_shows_at_least_fourteen_whole_conversations(sign_in, alice, busy_inbox):
    page = sign_in(alice)
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(page.locator(".conversation-row")).to_have_count(30)

    assert page.evaluate(FULLY_VISIBLE_ROWS) >= 14
    # The filters wait behind one button and the bulk bar until a row is ticked.
    expect(page.get_by_label("Status", exact=True)).to_be_hidden()
    expect(page.locator(".bulk-bar")).to_be_hidden()


def test_the_filters_open_over_the_list_and_the_bulk_bar_comes_with_a_tick(
    sign_in, alice, busy_inbox
):
    page = sign_in(alice)
    page.set_viewport_size({"width": 1440, "height": 900})
    settle(page)  # the stream's catch-up may redraw the list once
    rows = page.locator(".conversation-row")
    first_row = rows.first.bounding_box()

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Status", exact=True).select_option("closed")
    expect(rows).to_have_count(8)
    expect(page.locator(".filter-count")).to_have_text("1")
    page.keyboard.press("Escape")
    expect(page.get_by_label("Status", exact=True)).to_be_hidden()

    rows.first.locator(".row-select").check()
    expect(page.locator(".bulk-bar")).to_be_visible()
    expect(page.locator(".bulk-count")).to_have_text("1 selected")
    settle(page)
    assert rows.first.bounding_box()["y"] == first_row["y"]  # the rows stay where they were
    expect(page.locator(".bulk-label")).to_be_hidden()  # only for the label actions
    page.get_by_label("With the selected conversations").select_option("label")
    expect(page.locator(".bulk-label")).to_be_visible()

    rows.first.locator(".row-select").uncheck()
    expect(page.locator(".bulk-bar")).to_be_hidden()


def test_on_a_phone_the_thread_starts_high_on_the_screen(sign_in, alice, busy_inbox):
    page = sign_in(alice)
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator(".conversation-row", has_text="Maria Garcia").locator("a").click()
    message = page.locator(".message", has_text="Question 0")
    expect(message).to_be_in_viewport()

    header = page.locator("#thread-header").bounding_box()
    assert header["y"] + header["height"] <= 180, header
    # Its actions are still there, in one row that scrolls sideways.
    expect(page.get_by_role("link", name="Contact", exact=True)).to_be_attached()
    expect(page.locator(".snooze summary")).to_have_text("Snooze")

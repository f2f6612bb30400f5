"""Business hours in the browser, on the demo data (F-CP4, F-AU2): an admin sets hours that
are closed now, the customer hears when we open, an agent's reply waits with the clock and
goes out at opening."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from inbox.models import Message, MessageStatus, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
MONDAY_BEFORE_OPENING = datetime(2026, 12, 7, 8, 50, tzinfo=LONDON)
OPENING = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)


def test_a_reply_written_before_opening_goes_out_at_opening(sign_in, tasks):
    with time_machine.travel(MONDAY_BEFORE_OPENING, tick=True) as clock:
        call_command("seed_demo", verbosity=0)
        admin, alice = User.objects.get(username="admin"), User.objects.get(username="alice")

        # The admin switches the demo's office hours on: closed now, opening at 09:00.
        page = sign_in(admin)
        page.get_by_role("link", name="Business hours").click()
        page.get_by_label("Keep business hours").check()
        expect(page.get_by_label("Monday")).to_have_value("09:00-12:30, 13:30-18:00")
        page.get_by_role("button", name="Save business hours").click()
        expect(page.get_by_test_id("org-status")).to_contain_text("Closed now · opens Monday 09:00")

        # The customer writes on the Customer phone page and hears when we open.
        agent = sign_in(alice)
        agent.get_by_role("link", name="Customer phone").click()
        agent.get_by_label("To", exact=True).select_option(label="Alice's line (+14155550100)")
        agent.get_by_label("Customer's number").fill("+12025550123")
        agent.get_by_label("Body").fill("Are you open today?")
        agent.get_by_role("button", name="Send as customer").click()
        expect(agent.locator(".phone-screen")).to_contain_text(
            "We're closed right now; we open Monday 09:00 and will answer you then."
        )
        phone_url = agent.url

        # Starting a conversation warns the same way once a closed sender ID is picked.
        agent.get_by_role("link", name="New conversation").click()
        # As a person would, pick once the page has loaded: before its scripts run, picking
        # a sender ID asks nothing of the server.
        agent.wait_for_load_state()
        expect(agent.locator("#sender-notice")).to_be_empty()
        agent.get_by_label("Send from").select_option(label="Alice's line (+14155550100)")
        expect(agent.locator("#sender-notice")).to_contain_text("will be sent Monday 09:00")

        # Alice answers before opening: the compose box warns, the bubble waits.
        agent.get_by_role("link", name="My Inbox").first.click()
        # Once loaded, as above: a row clicked while the page's scripts are still to run
        # opens the conversation as a page of its own, whose Ctrl+Enter is not listened
        # for until they have run.
        agent.wait_for_load_state()
        agent.locator(".conversation-row", has_text="Are you open today?").locator("a").click()
        expect(agent.locator("#thread")).to_contain_text("Are you open today?")
        expect(agent.locator("#compose .compose-held")).to_contain_text("will be sent Monday 09:00")
        agent.fill("#id_body", "Yes, from 9! Your parcel left on Friday.")
        agent.keyboard.press("Control+Enter")
        reply = agent.locator(".message-out", has_text="Your parcel left on Friday")
        expect(reply).to_have_attribute("data-status", "scheduled")
        note = "Will be sent Monday 09:00, UTC time (outside business hours)"
        expect(reply.get_by_label(note)).to_be_visible()  # the clock, its title on hover
        expect(reply.locator(".held-until")).to_contain_text(note)

        # Opening time: the release task and the delivery run as a worker would run them.
        clock.shift(OPENING - datetime.now(LONDON) + timedelta(seconds=1))
        tasks.run_all()

        expect(reply).to_have_attribute("data-status", re.compile("sent|delivered"))
        expect(reply.locator(".held-until")).to_have_count(0)
        sent = Message.objects.get(body__startswith="Yes, from 9!")
        assert sent.status in (MessageStatus.SENT, MessageStatus.DELIVERED)
        assert sent.sent_at >= OPENING

        agent.goto(phone_url)  # the customer's phone has it
        expect(agent.locator(".phone-screen")).to_contain_text("Your parcel left on Friday")


def test_the_hours_page_fits_a_phone(sign_in):
    call_command("seed_demo", verbosity=0)
    page = sign_in(User.objects.get(username="admin"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Business hours").click()
    expect(page.locator(".sender-hours")).to_be_visible()
    # The Sender IDs table scrolls inside its card; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

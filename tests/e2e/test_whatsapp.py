"""WhatsApp in a real browser: a new conversation starts with a template, it reaches "read",
and the customer's reply reopens the window (F-CP3, F-TP2, F-CP2)."""

import re

import pytest
from playwright.sync_api import expect

from inbox.models import Channel, SenderId
from inbox.services.whatsapp_templates import whatsapp_templates_sync

from ..conftest import receive

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_whatsapp_from_a_new_number_to_an_open_window(sign_in, alice, live_server, tasks):
    line = SenderId.objects.create(
        address="whatsapp:+14155550142", channel=Channel.WHATSAPP, label="WhatsApp", owner=alice
    )
    whatsapp_templates_sync()  # the simulator's demo templates
    page = sign_in(alice)

    # A new conversation on WhatsApp: the template start stands in for the body, and
    # carries the sender ID and the number on. Alice's only sender ID is chosen for her.
    page.goto(f"{live_server.url}/new/")
    expect(page.locator("#id_sender")).to_have_value(str(line.pk))
    expect(page.locator("#id_body")).to_be_hidden()
    page.fill("#id_phone", "+1 202 555 0199")
    page.locator("#id_phone").dispatch_event("change")
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_hidden()

    # A template, to a customer whose opt-in the agent records.
    page.get_by_role("link", name="Start with a template", exact=True).click()
    expect(page.locator("#id_sender")).to_have_value(line.public_id)
    expect(page.locator("#id_phone")).to_have_value("+1 202 555 0199")
    page.select_option("#id_template", label="order_update (en)")
    page.select_option("#id_consent", label="Record it now: verbal")
    page.get_by_role("button", name="Continue").click()
    page.fill("input[name=var_1]", "Sam")
    page.fill("input[name=var_2]", "B-2")
    expect(page.locator(".template-preview")).to_contain_text("Hi Sam, your order B-2")
    page.get_by_role("button", name="Send template").click()

    sent = page.locator(".message-out", has_text="Hi Sam, your order B-2 is on its way.")
    expect(sent.locator(".template-mark")).to_have_text("Template")
    expect(page.locator(".wa-window")).to_contain_text("has not written on WhatsApp yet")
    expect(page.locator("#compose")).to_be_hidden()
    tasks.run_all()  # the worker hands it to the simulator, which reports sent, delivered, read
    expect(sent).to_have_attribute("data-status", "read")

    # The customer answers: the window opens and freeform is back, without a reload.
    receive(line, "+12025550199", "Thanks! When does it arrive?")
    expect(page.locator(".wa-window")).to_have_text(
        re.compile(r"Window open · 23 h 59 min left|Window open · 24 h 0 min left")
    )
    expect(page.locator("#id_body")).to_be_visible()

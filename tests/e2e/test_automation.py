"""Automation in a real browser: an admin builds a rule that acts on a customer message
from the simulator's customer phone; an agent runs a macro from the window."""

import pytest
from playwright.sync_api import expect

from automation.models import Macro
from inbox.models import Label

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CUSTOMER = "+12025550123"


def test_an_admin_builds_a_vip_rule_that_acts_on_an_inbound_message(
    sign_in, admin, alice, bob_line, tasks
):
    from ..conftest import receive

    # Vera wrote last month; an agent labelled her VIP since.
    vera = receive(bob_line, CUSTOMER, "Thanks for last time").conversation.contact
    vera.labels.add(Label.objects.create(name="vip"))

    page = sign_in(admin)
    page.get_by_role("link", name="Automation").click()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name").fill("VIP to Alice")
    page.get_by_label("When").select_option(label="A customer message arrives")
    page.get_by_label("Contact has the label").fill("vip")
    page.get_by_label("Assign to", exact=True).select_option(label="Alice")
    page.get_by_label("Add a private note").fill("VIP: call back today")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("heading", name="Rule VIP to Alice")).to_be_visible()
    expect(page.locator("[data-runs]")).to_have_text("0")

    # The customer writes from the simulator's customer phone; the worker runs the rules.
    page.get_by_role("link", name="Customer phone").click()
    page.get_by_label("To", exact=True).select_option(label="Bob's line (+14155550101)")
    page.get_by_label("Customer's number").fill(CUSTOMER)
    page.get_by_label("Body").fill("Where is my parcel?")
    page.get_by_role("button", name="Send as customer").click()
    expect(page.locator(".phone-screen")).to_contain_text("Where is my parcel?")
    tasks.run_all()

    page.get_by_role("link", name="Automation").click()
    row = page.locator("tr", has_text="VIP to Alice")
    expect(row.locator("td").nth(4)).to_have_text("1")

    agent = sign_in(alice)
    agent.locator(".conversation-row", has_text="Where is my parcel?").locator("a").click()
    thread = agent.locator("#thread")
    expect(thread).to_contain_text("Rule VIP to Alice assigned this to Alice, added a note")
    expect(agent.locator(".note")).to_contain_text("VIP: call back today")
    expect(agent.locator("#thread-header")).to_contain_text("Owner: Alice")


def test_an_agent_runs_a_macro_in_one_click(sign_in, alice, alice_line, tasks):
    from ..conftest import receive

    receive(alice_line, CUSTOMER, "This is the third time I write!")
    Macro.objects.create(
        name="Escalate",
        actions=[
            {"do": "add_label", "label": "urgent"},
            {"do": "note", "body": "Escalated to the duty manager"},
        ],
    )
    page = sign_in(alice)
    page.locator(".conversation-row", has_text="third time").locator("a").click()
    page.locator("summary", has_text="Macros").click()
    page.get_by_role("button", name="Escalate").click()
    expect(page.locator("#thread")).to_contain_text("Macro Escalate added urgent, added a note")
    expect(page.locator(".conversation-label", has_text="urgent")).to_be_visible()
    expect(page.locator(".note")).to_contain_text("Escalated to the duty manager")

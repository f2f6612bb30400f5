"""Contacts in the browser: import the demo CSV, start from a contact's name, send a saved
reply whose missing field is asked for, merge two contacts (F-CT3, F-CV2, F-TP1, F-TP3,
F-CT4)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from inbox.models import Contact, CustomField, Message
from inbox.services.saved_replies import saved_reply_save

from ..conftest import receive

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_CSV = Path(__file__).resolve().parents[2] / "static" / "examples" / "contacts.csv"


def test_an_agent_imports_contacts_starts_from_a_name_and_sends_a_saved_reply(
    sign_in, live_server, admin, alice, alice_line, tasks
):
    CustomField.objects.create(name="order_id", label="Order ID")
    CustomField.objects.create(name="delivery_date", label="Delivery date")
    saved_reply_save(
        by=admin,
        title="Order on its way",
        body="Hi {{first_name}}, order {{order_id}} arrives {{delivery_date}}.",
        shared=True,
    )
    page = sign_in(alice)

    # Import the demo file: preview, then a progress bar, then the rows left out.
    page.click("text=Contacts")
    page.click("text=Import CSV")
    page.set_input_files("#import-file", str(DEMO_CSV))
    page.click("main button[type=submit]")
    expect(page.locator(".import-preview")).to_contain_text("Ann Lee")
    # An agent's import leaves consent alone, and the preview says so.
    expect(page.locator(".import-notice")).to_contain_text("Only an admin's import changes SMS")
    page.click("main button:has-text('Import 7 rows')")
    expect(page.locator("#import-bar")).to_have_attribute("value", "0")
    assert tasks.run_named("inbox.tasks.import_contacts") == 1
    expect(page.locator(".import-summary")).to_contain_text(
        "4 contacts created, 0 updated, 3 rows left out"
    )
    expect(page.locator("#import-bar")).to_have_attribute("value", "100")
    report = page.get_by_role("link", name="Download the 3 rows left out")
    errors = page.request.get(live_server.url + report.get_attribute("href")).text()
    assert "invalid phone number" in errors and "same number as row 3" in errors
    assert "invalid email" in errors and "unknown consent value" not in errors
    assert Contact.objects.filter(display_name="Ann Lee", phone_e164="+447911123456").exists()

    # Start a conversation by typing the contact's name.
    page.click("text=New conversation")
    page.select_option("#id_sender", str(alice_line.pk))
    page.fill("#id_phone", "Ann")
    page.click(".suggestion:has-text('Ann Lee')")
    expect(page.locator(".chosen-contact")).to_contain_text("Ann Lee")
    expect(page.locator("#id_phone")).to_have_value("+44 7911 123456")
    page.fill("#id_body", "Hello Ann!")
    page.click("main button:has-text('Send')")
    expect(page.locator("#thread")).to_contain_text("Hello Ann!")

    # A saved reply: the delivery date Ann has no value for is asked before it fills the box.
    page.click(".reply-picker-toggle")
    page.click(".reply-choice:has-text('Order on its way')")
    expect(page.locator(".reply-ask")).to_contain_text("Delivery date")
    page.click(".reply-ask-insert")
    expect(page.locator(".reply-ask-error")).to_be_visible()
    page.get_by_label("Delivery date").fill("Friday")
    page.click(".reply-ask-insert")
    expect(page.locator("#id_body")).to_have_value("Hi Ann, order A-1001 arrives Friday.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".message-out", has_text="arrives Friday")).to_be_visible()
    assert Message.objects.filter(body="Hi Ann, order A-1001 arrives Friday.").exists()


def test_an_admin_merges_two_contacts_and_the_thread_records_it(
    sign_in, live_server, admin, alice, alice_line, bob_line, tasks
):
    kept = receive(alice_line, "+12025550123", "Hi, Maria here").conversation
    moved = receive(bob_line, "+12025550177", "Hello from work").conversation
    Contact.objects.filter(pk=kept.contact_id).update(display_name="Maria Garcia")
    Contact.objects.filter(pk=moved.contact_id).update(display_name="M. Garcia (work)")
    page = sign_in(admin)

    page.goto(f"{live_server.url}/contacts/{kept.contact.public_id}/")
    page.click("text=Merge with…")
    page.fill("#merge-q", "555 0177")
    page.click("#merge-candidates a:has-text('M. Garcia (work)')")
    expect(page.locator("h1")).to_contain_text("Merge M. Garcia (work) into Maria Garcia?")
    expect(page.locator(".merge-side-merged")).to_contain_text("Bob's line")
    expect(page.locator(".merge-outcome")).to_contain_text("1 conversation moves")
    page.click("button:has-text('Merge into Maria Garcia')")

    expect(page.locator(".flash")).to_have_text("M. Garcia (work) merged into Maria Garcia.")
    expect(page.locator(".contact-details")).to_contain_text("+1 202-555-0177")
    expect(page.locator(".contact-conversations")).to_contain_text("Bob's line")
    page.click('.contact-conversations a:has-text("Bob\'s line")')
    expect(page.locator("#thread")).to_contain_text("Contacts merged: M. Garcia (work)")
    assert Contact.objects.count() == 1


def test_an_agent_opens_the_contact_form_from_the_panel_and_saves_the_customer(
    sign_in, live_server, alice, alice_line
):
    """The panel's form is fetched when the agent opens it, filled with what is known."""
    conversation = receive(alice_line, "+12025550155", "Hi, it is Dana").conversation
    CustomField.objects.create(name="tier", label="Tier")
    page = sign_in(alice)
    page.goto(f"{live_server.url}/c/{conversation.public_id}/")
    panel = page.locator("#contact-panel")
    expect(panel.locator(".contact-form")).to_have_count(0)

    panel.get_by_text("Save as contact").click()
    form = panel.locator(".contact-form")
    expect(form.get_by_label("Name", exact=True)).to_be_visible()
    form.get_by_label("Name", exact=True).fill("Dana Scully")
    form.get_by_label("Field name").first.fill("Tier")
    form.get_by_label("Value").first.fill("Gold")
    form.get_by_role("button", name="Save contact").click()

    expect(panel.locator(".contact-card h3")).to_have_text("Dana Scully")
    expect(panel).to_contain_text("Gold")
    contact = Contact.objects.get(pk=conversation.contact_id)
    assert contact.display_name == "Dana Scully"
    # Saved, the panel shows the form again as "Edit contact", fetched anew when opened.
    panel.get_by_text("Edit contact").click()
    name = panel.locator(".contact-form").get_by_label("Name", exact=True)
    expect(name).to_have_value("Dana Scully")

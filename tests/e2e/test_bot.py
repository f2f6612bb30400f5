"""A bot in a real browser (F-AU5): an admin builds a flow on Alice's line, a customer talks
to it from the simulator's customer phone (the menu, a saved field), and Alice, to whom it
hands over, sees what it collected in the thread."""

import pytest
from playwright.sync_api import expect

from inbox.models import ContactFieldValue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CUSTOMER = "+12025550123"


def add_step(page, *, key, kind, text, answers="", field="", next_step=""):
    page.get_by_role("link", name="Add a step").click()
    page.get_by_label("Step name").fill(key)
    page.get_by_label("What it does").select_option(label=kind)
    page.get_by_label("Message or question").fill(text)
    if answers:
        page.get_by_label("Answers (questions)").fill(answers)
    if field:
        page.get_by_label("Save the answer in the contact field").fill(field)
    if next_step:
        page.get_by_label("Then go to the step").fill(next_step)
    page.get_by_role("button", name="Save step").click()
    expect(page.locator(f'[data-step="{key}"]')).to_be_visible()


def customer_says(page, tasks, body: str, *, first: bool = False) -> None:
    """The customer writes from the simulator's phone; the worker's tasks run (the bot's
    answer, then its delivery); the phone shows the conversation again."""
    if first:
        page.get_by_role("link", name="Customer phone").click()
        page.get_by_label("To", exact=True).select_option(label="Alice's line (+14155550100)")
        page.get_by_label("Customer's number").fill(CUSTOMER)
    page.get_by_label("Body").fill(body)
    page.get_by_role("button", name="Send as customer").click()
    expect(page.locator(".phone-screen .message").last).to_contain_text(body)
    tasks.run_all()
    page.reload()


def test_a_customer_talks_to_a_bot_that_hands_over_to_alice(
    sign_in, admin, alice, alice_line, tasks
):
    page = sign_in(admin)
    page.get_by_role("link", name="Automation").click()
    page.get_by_role("link", name="Bots").click()
    page.get_by_role("link", name="New bot").click()
    page.get_by_label("Name").fill("Front desk")
    page.get_by_label("Answers on the line").select_option(label="Alice's line (+14155550100)")
    page.get_by_label("Said when handing over").fill("Thanks! Alice will answer you here.")
    page.get_by_role("button", name="Save bot").click()
    expect(page.get_by_role("heading", name="Bot Front desk")).to_be_visible()

    add_step(
        page,
        key="menu",
        kind="Ask a question with numbered answers",
        text="Hello! What can we do for you?",
        answers="Order a cake | buy, order -> email\nOpening hours | open -> hours",
    )
    add_step(
        page,
        key="email",
        kind="Ask, and save the answer in a contact field",
        text="Lovely. Your e-mail, for the order?",
        field="email",
    )
    add_step(page, key="hours", kind="Send a message", text="We bake 8 to 18.", next_step="menu")
    page.get_by_label("On: the bot answers first").check()
    page.get_by_role("button", name="Save bot").click()
    expect(page.locator(".bot-problems")).to_have_count(0)
    expect(page.get_by_label("On: the bot answers first")).to_be_checked()

    # The customer writes; the bot answers with its menu. Alice has nothing waiting yet.
    customer_says(page, tasks, "Hi, are you open on Sunday?", first=True)
    phone = page.locator(".phone-screen")
    expect(phone).to_contain_text("What can we do for you?")
    expect(phone).to_contain_text("1. Order a cake")
    agent = sign_in(alice)
    row = agent.locator(".conversation-row", has_text="open on Sunday")
    expect(row).to_contain_text("With the bot")
    expect(row).not_to_have_class("unread")

    # A menu answer by number, then the saved field; the flow ends and hands over.
    customer_says(page, tasks, "1")
    expect(phone).to_contain_text("Your e-mail, for the order?")
    customer_says(page, tasks, "vera@example.com")
    expect(phone).to_contain_text("Thanks! Alice will answer you here.")
    assert ContactFieldValue.objects.get(field__name="email").value == "vera@example.com"

    # Alice has it now, unread, with the bot's note of what it collected.
    agent.reload()
    row = agent.locator(".conversation-row", has_text="vera@example.com")
    expect(row).to_have_class("conversation-row unread")
    row.locator("a").click()
    thread = agent.locator("#thread")
    expect(thread.locator(".bot-avatar").first).to_be_visible()
    note = agent.locator(".note")
    expect(note).to_contain_text("Bot Front desk handed this over: the flow ended.")
    expect(note).to_contain_text("Hello! What can we do for you? → Order a cake")
    expect(note).to_contain_text("→ vera@example.com (saved as email)")
    expect(agent.locator("#thread-header")).not_to_contain_text("With the bot")

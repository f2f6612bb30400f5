"""An agent's day leaves the browser console clean: no policy violations, no htmx errors,
no missing files."""

import re

import pytest
from playwright.sync_api import expect

from inbox.models import Conversation

from ..conftest import receive

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# htmx reports some failures only as events, not in the console.
HTMX_ERRORS = """
for (const name of ["htmx:oobErrorNoTarget", "htmx:targetError", "htmx:swapError"]) {
  document.addEventListener(name, (event) => {
    const id = event.detail.content ? event.detail.content.id : "";
    console.error(name + " #" + id);
  });
}
"""


def test_reading_filtering_and_replying_write_nothing_to_the_console(
    sign_in, alice, alice_line, tasks
):
    for n in range(3):
        receive(alice_line, f"+120255501{n:02d}", f"Question {n}")
    Conversation.objects.update(owner=alice)
    page = sign_in(alice, init_script=HTMX_ERRORS)
    problems = []
    page.on(
        "console",
        lambda message: message.type in ("error", "warning") and problems.append(message.text),
    )
    page.on("response", lambda response: response.status >= 400 and problems.append(response.url))
    page.reload()

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Status", exact=True).select_option("assigned")
    expect(page).to_have_url(re.compile(r"status=assigned"))
    page.keyboard.press("Escape")
    page.locator(".conversation-row", has_text="Question 1").locator("a").click()
    reply = page.get_by_placeholder(re.compile("Write a reply"))
    # A reply box the agent made taller carries a style the browser wrote; the swap after
    # sending must not set it again inline.
    reply.evaluate("box => { box.style.height = '120px'; }")
    reply.press_sequentially("On its way")
    expect(page.locator("#segments")).not_to_be_empty()
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-out", has_text="On its way")).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#thread-header .status")).to_have_text("Closed")

    assert problems == []

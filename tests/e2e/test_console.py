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
    quiet_presence(page)
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


def quiet_presence(page) -> None:
    """Presence beats write while the test's own actions do; SQLite (the default test
    database) refuses concurrent writers, and presence is not what these tests look at."""
    page.route("**/presence/", lambda route: route.fulfill(status=204))


def test_two_header_actions_at_once_both_show_and_log_nothing(sign_in, alice, alice_line, tasks):
    """Add a label, then close before the label's answer is back: the close's answer comes
    to a form the label's answer has replaced (with a fresh header), and must still show."""
    conversation = receive(alice_line, "+12025550100", "Question").conversation
    Conversation.objects.filter(pk=conversation.pk).update(owner=alice)
    page = sign_in(alice, init_script=HTMX_ERRORS)
    quiet_presence(page)
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto(page.url + f"c/{conversation.public_id}/")
    held = {}
    page.route("**/labels/", lambda route: held.setdefault("label", route))
    page.route("**/close/", lambda route: held.setdefault("close", route))

    page.fill("#label-add", "refund")
    page.locator(".label-add button").click()
    page.get_by_role("button", name="Close").click()
    for _ in range(50):
        if len(held) == 2:
            break
        page.wait_for_timeout(100)
    # The server answers one at a time, in the order the agent acted.
    held["label"].fulfill(response=held["label"].fetch())
    expect(page.locator("#thread-header .conversation-label")).to_contain_text("refund")
    held["close"].fulfill(response=held["close"].fetch())

    expect(page.locator("#thread-header .status")).to_have_text("Closed")
    expect(page.locator("#thread-header .conversation-label")).to_contain_text("refund")
    page.wait_for_load_state("networkidle")
    assert problems == []

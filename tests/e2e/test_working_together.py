"""Working together in real browsers: presence and typing, mentions, snooze, labels and
message-text search (F-CO1…F-CO3, F-CV12, F-IN9)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox import tasks as inbox_tasks
from inbox.models import Conversation

from ..conftest import receive
from .test_journeys import FAKE_NOTIFICATIONS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_two_agents_see_each_other_and_a_reply_while_typing_is_flagged(
    sign_in, live_server, alice, bob, shared_line, tasks
):
    conversation = receive(shared_line, "+12025550123", "Anyone there?").conversation
    url = f"{live_server.url}/c/{conversation.public_id}/"
    alice_page, bob_page = sign_in(alice), sign_in(bob)
    alice_page.goto(url)
    bob_page.goto(url)

    expect(alice_page.locator("#presence")).to_have_text("Bob is viewing")
    expect(bob_page.locator("#presence")).to_have_text("Alice is viewing")

    bob_page.locator("#id_body").press_sequentially("Let me check")
    expect(alice_page.locator("#presence")).to_have_text("Bob is typing…")

    alice_page.fill("#id_body", "Yes, we are here!")
    alice_page.click("#compose button[type=submit]")
    warning = bob_page.locator("#collision-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Alice sent a reply while you were typing")


def test_a_mention_notifies_and_a_label_filters(
    sign_in, live_server, alice, bob, carol, shared_line, tasks
):
    conversation = receive(shared_line, "+12025550123", "Refund please").conversation
    receive(shared_line, "+12025550124", "Other question")
    bob_page = sign_in(bob, init_script=FAKE_NOTIFICATIONS)
    alice_page = sign_in(alice)
    alice_page.goto(f"{live_server.url}/c/{conversation.public_id}/")

    alice_page.click(".note-compose summary")
    alice_page.fill("#id_note", "@carol please")
    alice_page.click(".note-compose button[type=submit]")
    expect(alice_page.locator("#thread-header .error")).to_contain_text(
        "@carol cannot open this conversation"
    )
    expect(alice_page.locator("#id_note")).to_have_value("@carol please")
    alice_page.fill("#id_note", "")
    alice_page.locator("#id_note").press_sequentially("Can you approve this, @bo")
    alice_page.locator("#mention-menu li", has_text="@bob").click()
    expect(alice_page.locator("#id_note")).to_have_value("Can you approve this, @bob ")
    alice_page.click(".note-compose button[type=submit]")

    # The page's policy forbids eval, so the notifications are read, not waited on in-page.
    for _ in range(40):
        if any(
            t.startswith("Alice mentioned you") for t in bob_page.evaluate("window.__notifications")
        ):
            break
        bob_page.wait_for_timeout(500)
    assert any(
        t.startswith("Alice mentioned you") for t in bob_page.evaluate("window.__notifications")
    )
    bob_page.click("#inbox-nav a[href='/mentions/']")
    expect(bob_page.locator(".conversation-row")).to_have_count(1)

    alice_page.fill("#label-add", "refunds")
    alice_page.click(".label-add button")
    expect(alice_page.locator(".conversation-label")).to_contain_text("refunds")
    alice_page.goto(f"{live_server.url}/s/{shared_line.public_id}/")
    expect(alice_page.locator(".conversation-row")).to_have_count(2)
    alice_page.get_by_text("Filters", exact=True).click()
    alice_page.select_option("#f-conversation-label", "refunds")
    expect(alice_page.locator(".conversation-row")).to_have_count(1)
    expect(alice_page.locator(".conversation-row .row-label")).to_have_text("refunds")


def test_a_snoozed_conversation_returns_and_an_old_word_finds_its_conversation(
    sign_in, live_server, alice, alice_line, tasks
):
    long_ago = timezone.now() - timedelta(days=300)
    old = receive(alice_line, "+12025550123", "My parcel 77 is lost", received_at=long_ago)
    for i in range(60):
        receive(alice_line, "+12025550123", f"Reminder {i}")
    conversation = old.conversation
    page = sign_in(alice)
    page.click(f".conversation-row a[href='/c/{conversation.public_id}/']")
    page.click(".snooze summary")
    page.click(".snooze-choice:has-text('In an hour')")
    expect(page.locator(".snoozed-badge")).to_contain_text("Snoozed until")
    expect(page.locator(".conversation-row")).to_have_count(0)
    # Back in My Inbox (a conversation open on screen is read as it changes).
    page.click("#inbox-nav a[href='/']")
    # Gone from the screen before it wakes: had it still been open, waking would read it.
    expect(page.locator("#window .empty-thread")).to_be_visible()
    expect(page.locator(".conversation-row")).to_have_count(0)

    # The hour passes; beat wakes it.
    Conversation.objects.filter(pk=conversation.pk).update(
        snoozed_until=timezone.now() - timedelta(seconds=1)
    )
    assert inbox_tasks.wake_snoozed_conversations() == 1
    row = page.locator(".conversation-row")
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\bunread\b"))

    page.click("#inbox-nav a[href='/search/']")
    # The box shows (and the browser may focus it) before htmx settles the swap and wires
    # its live search; htmx takes its "added" mark off the new page as it wires it.
    expect(page.locator("#main:has(#s-q)")).not_to_have_class(re.compile(r"\bhtmx-added\b"))
    page.fill("#s-q", "parcel")
    page.locator(".search-hit a").click()
    found = page.locator(f"#m-{old.public_id}")
    expect(found).to_have_class(re.compile(r"\bis-found\b"))
    expect(found).to_be_in_viewport()


@pytest.fixture
def grab_conversation(support_team, admin):
    from inbox.models import Channel, SenderId, TeamMode

    support_team.mode = TeamMode.GRAB
    support_team.save()
    line = SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team line", team=support_team
    )
    return receive(line, "+12025550123", "Anyone there?").conversation


def test_a_grab_by_a_teammate_shows_in_the_other_tab_and_a_late_click_says_who(
    sign_in, live_server, alice, bob, grab_conversation, tasks
):
    from inbox.services.teams import conversation_grab

    url = f"{live_server.url}/c/{grab_conversation.public_id}/"
    late, waiting = sign_in(bob), sign_in(bob)
    late.goto(url)
    waiting.goto(url)
    expect(late.get_by_role("button", name="Grab")).to_be_visible()
    expect(waiting.get_by_role("button", name="Grab")).to_be_visible()

    # The late tab hears of nothing meanwhile (its live answers and presence beats are held
    # back): its click comes before it knows, whatever the machine's speed.
    deaf = re.compile(r"/live/\?|/presence/$")
    late.route(deaf, lambda route: route.abort())
    conversation_grab(conversation=grab_conversation, user=alice)

    # A click before the tab heard of it: the window says who took it, in the page.
    late.get_by_role("button", name="Grab").click()
    expect(late.locator("#window")).to_contain_text(
        re.compile(r"Alice grabbed this conversation on .* at \d\d:\d\d\.")
    )
    expect(late.get_by_role("button", name="Grab")).to_have_count(0)
    expect(late.locator("#thread")).to_have_count(0)

    # A tab left open hears of it from its presence beat, without a click.
    expect(waiting.locator("#window")).to_contain_text("Alice grabbed this conversation")
    expect(waiting.get_by_role("button", name="Grab")).to_have_count(0)

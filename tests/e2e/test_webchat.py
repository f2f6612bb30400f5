"""Web chat end to end: a visitor on a page of another origin and an agent in the inbox."""

import http.server
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import caches
from django.utils import timezone
from playwright.sync_api import expect

from channels_webchat import stream as visitor_stream
from channels_webchat.models import Visitor
from inbox import live_hub
from inbox.models import Conversation
from inbox.services.sending import message_send
from tests.channels_webchat.conftest import make_website
from tests.support.inflight import wait_until_idle
from tests.support.smtp_server import SmtpServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

HOST_PAGE = """<!doctype html><html><head><title>Shop</title></head>
<body><h1>The shop</h1><script src="{src}" data-website="{key}" async></script></body></html>"""


@pytest.fixture
def host_site():
    """A website on another origin than Converse's: serves one page with the snippet."""
    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path.split("#")[0], "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.pages = pages
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def wait_until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = False
    yield server
    server.stop()


def test_a_visitor_and_an_agent_chat_and_the_reply_goes_by_email_once_they_left(
    browser, sign_in, live_server, host_site, smtp, alice, tasks
):
    website = make_website(owner=alice, origins=host_site.origin, prechat_form=True)
    src = f"{live_server.url}/webchat/widget.js"
    host_site.pages["/"] = HOST_PAGE.format(src=src, key=website.key)

    visitor_context, visitor, chat = visit_chat(browser, host_site)
    chat.get_by_label("Name").fill("Dana")
    chat.get_by_label("E-mail", exact=True).fill("dana@example.com")
    chat.get_by_label("E-mail me the answer").check()
    chat.get_by_role("button", name="Continue").click()
    chat.get_by_label("Your message").fill("Do you ship to Norway? <b>soon</b>")
    chat.get_by_label("Your message").press("Enter")
    expect(chat.locator(".msg-mine")).to_have_text("Do you ship to Norway? <b>soon</b>")

    agent = sign_in(alice)
    row = agent.locator(".conversation-row", has_text="Do you ship to Norway?")
    expect(row).to_contain_text("Dana")
    row.locator("a").first.click()
    expect(agent.locator("#thread")).to_contain_text("Do you ship to Norway? <b>soon</b>")
    expect(agent.locator("#contact-panel")).to_contain_text("Online now")
    expect(agent.locator("#contact-panel")).to_contain_text(f"{host_site.origin}/")

    # The visitor closes the panel; the agent's answer shows as a badge, then in the chat.
    chat.get_by_role("button", name="Close the chat").click()
    agent.fill("#id_body", "Yes, in 3 days.")
    agent.keyboard.press("Control+Enter")
    expect(agent.locator(".message-out", has_text="Yes, in 3 days.")).to_be_visible()
    tasks.run_all()
    expect(chat.locator("#badge")).to_have_text("1")
    chat.get_by_role("button", name="Open the chat, 1 unread").click()
    expect(chat.locator(".msg-agent", has_text="Yes, in 3 days.")).to_be_visible()
    expect(chat.locator("#badge")).to_be_hidden()
    assert not smtp.received

    # The visitor leaves (their stream ends); once they count as gone, the reply goes by
    # e-mail. Their leaving is seen (written, then let go), then the time they count as
    # online passes.
    visitor.close()
    address = Visitor.objects.get().address
    wait_until(
        lambda: (
            not any(
                held.counts.get(address)
                for loop, held in list(visitor_stream._held.items())
                if not loop.is_closed()
            )
        )
    )
    # And what their page had asked just before it closed is answered (a late "seen" would
    # bring them back online).
    wait_until_idle()
    caches["shared"].clear()
    Visitor.objects.update(last_seen_at=timezone.now() - timedelta(minutes=5))
    agent.reload()
    expect(agent.locator(".channel-notice")).to_contain_text("dana@example.com")
    expect(agent.locator("#contact-panel")).to_contain_text("Last active")
    agent.fill("#id_body", "Your parcel is ready.")
    agent.keyboard.press("Control+Enter")
    expect(agent.locator(".message-out", has_text="Your parcel is ready.")).to_be_visible()
    tasks.run_all()
    assert [m["To"] for m in smtp.received] == ["dana@example.com"]
    text = smtp.received[0].get_payload(decode=True).decode()
    assert "Your parcel is ready." in text
    assert f"{host_site.origin}/#converse-chat" in text

    # They come back later: the unread reply waits behind the launcher's badge.
    returning = visitor_context.new_page()
    returning.goto(f"{host_site.origin}/")
    chat = returning.frame_locator("iframe[title='Chat with us']")
    expect(chat.locator("#badge")).to_have_text("1")
    chat.get_by_role("button", name="Open the chat, 1 unread").click()
    expect(chat.locator(".msg-agent", has_text="Your parcel is ready.")).to_be_visible()
    expect(chat.locator(".msg-mine")).to_have_text("Do you ship to Norway? <b>soon</b>")
    assert Visitor.objects.count() == 1
    visitor_context.close()


def test_a_page_of_another_origin_cannot_show_the_chat(browser, live_server, host_site, alice):
    website = make_website(owner=alice, origins="https://elsewhere.example.com")
    src = f"{live_server.url}/webchat/widget.js"
    host_site.pages["/"] = HOST_PAGE.format(src=src, key=website.key)
    context = browser.new_context()
    page = context.new_page()
    # The browser refuses to frame the chat (frame-ancestors) and says so.
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
        page.goto(f"{host_site.origin}/")
    assert "https://elsewhere.example.com" in refusal.value.text
    expect(page.locator("iframe[title='Chat with us']")).to_be_attached()
    assert page.frame_locator("iframe[title='Chat with us']").locator("#launcher").count() == 0
    assert not Visitor.objects.exists()
    context.close()


def test_each_side_sees_the_other_typing_but_never_a_private_note(
    browser, sign_in, live_server, host_site, alice, tasks
):
    website = make_website(owner=alice, origins=host_site.origin)
    src = f"{live_server.url}/webchat/widget.js"
    host_site.pages["/"] = HOST_PAGE.format(src=src, key=website.key)
    visitor_context, visitor, chat = visit_chat(browser, host_site)
    box = chat.get_by_label("Your message")
    box.fill("Hello")
    box.press("Enter")
    expect(chat.locator(".msg-mine")).to_have_text("Hello")

    agent = sign_in(alice)
    agent.locator(".conversation-row", has_text="Hello").locator("a").first.click()
    expect(agent.locator("#thread")).to_contain_text("Hello")

    # The visitor types: the agent sees it beside the thread, until the message comes.
    box.press_sequentially("Where is my order?")
    expect(agent.locator("#presence")).to_have_text("The visitor is typing…")
    box.press("Enter")
    expect(agent.locator("#thread")).to_contain_text("Where is my order?")
    expect(agent.locator("#presence")).to_have_text("")

    # A private note is not a reply: the visitor's chat, asking (its panel opened again),
    # is told of nobody.
    agent.locator("#id_note").press_sequentially("Check the warehouse first")
    for _ in range(2):
        with visitor.expect_response(lambda r: r.url.split("?")[0].endswith("/state")):
            chat.get_by_role("button", name="Close the chat").click()
            chat.get_by_role("button", name="Open the chat").click()
    expect(chat.locator("#typing")).to_be_hidden()

    # The agent types a reply: the visitor sees who, by first name.
    agent.locator("#id_body").press_sequentially("It left today")
    expect(chat.locator("#typing")).to_have_text("Alice is typing…")
    agent.keyboard.press("Control+Enter")
    expect(agent.locator(".message-out", has_text="It left today")).to_be_visible()
    tasks.run_all()
    expect(chat.locator(".msg-agent", has_text="It left today")).to_be_visible()
    expect(chat.locator("#typing")).to_be_hidden()
    visitor_context.close()


def test_files_both_ways_and_a_refused_one_loses_nothing_typed(
    browser, sign_in, live_server, host_site, alice, tasks, tmp_path
):
    website = make_website(owner=alice, origins=host_site.origin)
    src = f"{live_server.url}/webchat/widget.js"
    host_site.pages["/"] = HOST_PAGE.format(src=src, key=website.key)
    photo, forged, invoice = tmp_path / "boots.png", tmp_path / "evil.png", tmp_path / "bill.pdf"
    photo.write_bytes(PNG)
    forged.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>")
    invoice.write_bytes(b"%PDF-1.4 test")

    visitor_context, visitor, chat = visit_chat(browser, host_site)
    box = chat.get_by_label("Your message")
    box.fill("These boots")
    box.press("Enter")
    expect(chat.locator(".msg-mine")).to_have_text("These boots")

    # A file that is not what its name says: refused, and what is typed stays.
    box.fill("Half-typed question")
    chat.get_by_label("Attach an image or a PDF").set_input_files(str(forged))
    expect(chat.locator("#error")).to_contain_text("evil.png cannot be sent")
    expect(box).to_have_value("Half-typed question")
    chat.get_by_label("Attach an image or a PDF").set_input_files(str(photo))
    expect(chat.locator(".msg-mine img[alt='boots.png']")).to_be_visible()
    expect(chat.locator("#error")).to_be_hidden()
    expect(box).to_have_value("Half-typed question")

    agent = sign_in(alice)
    agent.locator(".conversation-row", has_text="Attachment").locator("a").first.click()
    expect(agent.locator("#thread img[alt='boots.png']")).to_be_visible()

    # The agent answers with a PDF: the visitor gets a link to it, fetched with their token.
    agent.locator(".attach-input").set_input_files(str(invoice))
    agent.fill("#id_body", "Your bill")
    agent.get_by_role("button", name="Send").click()
    expect(agent.locator(".message-out", has_text="Your bill")).to_be_visible()
    tasks.run_all()
    link = chat.locator(".msg-agent a.file", has_text="bill.pdf")
    expect(link).to_have_attribute("href", re.compile(r"^blob:"))
    with visitor.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == b"%PDF-1.4 test"
    visitor_context.close()


def test_a_message_begun_while_the_last_one_is_answered_stays_in_the_box(
    browser, live_server, host_site, alice
):
    """The message sent may show (by the stream) before its own answer: what the visitor
    typed next meanwhile is not emptied by that answer."""
    website = make_website(owner=alice, origins=host_site.origin)
    host_site.pages["/"] = HOST_PAGE.format(
        src=f"{live_server.url}/webchat/widget.js", key=website.key
    )
    held = []

    def hold_sends(route):
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    context, page, chat = visit_chat(
        browser, host_site, route=(re.compile(r".*/messages$"), hold_sends)
    )
    box = chat.get_by_label("Your message")
    box.fill("Are these boots in stock?")
    box.press("Enter")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    box.fill("And in size 44?")
    held[0].fulfill(response=held[0].fetch())
    expect(chat.locator(".msg-mine")).to_have_text("Are these boots in stock?")
    expect(box).to_have_value("And in size 44?")
    context.close()


def visit_chat(browser, host_site, *, route=None):
    """A visitor on the website's page, their chat open."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    if route:
        context.route(*route)
    page = context.new_page()
    page.goto(f"{host_site.origin}/")
    chat = page.frame_locator("iframe[title='Chat with us']")
    chat.get_by_role("button", name="Open the chat").click()
    return context, page, chat


def open_chat(browser, host_site, *, route=None):
    """A visitor on the website's page, their chat open and one message written."""
    context, page, chat = visit_chat(browser, host_site, route=route)
    chat.get_by_label("Your message").fill("Are these boots in stock?")
    chat.get_by_label("Your message").press("Enter")
    expect(chat.locator(".msg-mine")).to_have_text("Are these boots in stock?")
    return context, page, chat


def is_stream(request) -> bool:
    return request.url.split("?")[0].endswith("/stream")


def test_an_agent_reply_reaches_the_visitor_through_their_stream_and_a_drop_loses_nothing(
    browser, sign_in, live_server, host_site, alice, tasks
):
    website = make_website(owner=alice, origins=host_site.origin)
    host_site.pages["/"] = HOST_PAGE.format(
        src=f"{live_server.url}/webchat/widget.js", key=website.key
    )
    visitor_context, visitor, chat = open_chat(browser, host_site)
    expect(chat.locator("html")).to_have_attribute("data-live", "stream")

    agent = sign_in(alice)
    agent.locator(".conversation-row", has_text="in stock").locator("a").first.click()
    agent.fill("#id_body", "Yes, 4 pairs left.")
    agent.keyboard.press("Control+Enter")
    expect(agent.locator(".message-out", has_text="Yes, 4 pairs left.")).to_be_visible()
    tasks.run_all()  # delivered: the stream tells the frame, which asks once
    expect(chat.locator(".msg-agent", has_text="Yes, 4 pairs left.")).to_be_visible()
    expect(chat.locator("html")).to_have_attribute("data-live", "stream")

    # The server lets go of every stream (as a restart does); a reply while the frame is
    # without its stream is not lost, and the frame holds a stream again.
    with visitor.expect_request(is_stream):
        live_hub.disconnect_all()
        message_send(conversation=Conversation.objects.get(), author=alice, body="Size 44 too.")
        tasks.run_all()
    expect(chat.locator(".msg-agent", has_text="Size 44 too.")).to_be_visible()
    expect(chat.locator("html")).to_have_attribute("data-live", "stream")
    visitor_context.close()


def test_the_chat_asks_every_few_seconds_when_its_stream_cannot_be_opened(
    browser, live_server, host_site, alice, tasks
):
    website = make_website(owner=alice, origins=host_site.origin)
    host_site.pages["/"] = HOST_PAGE.format(
        src=f"{live_server.url}/webchat/widget.js", key=website.key
    )
    refused = (re.compile(r"/webchat/[^/]+/stream\?"), lambda route: route.fulfill(status=503))
    visitor_context, visitor, chat = open_chat(browser, host_site, route=refused)
    expect(chat.locator("html")).to_have_attribute("data-live", "poll")

    message_send(conversation=Conversation.objects.get(), author=alice, body="Yes, 4 pairs left.")
    tasks.run_all()
    with visitor.expect_response(lambda r: r.url.split("?")[0].endswith("/state")):
        pass  # its next ask on the timer
    expect(chat.locator(".msg-agent", has_text="Yes, 4 pairs left.")).to_be_visible()
    visitor_context.close()

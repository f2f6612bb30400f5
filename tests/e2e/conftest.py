"""Browser tests: Playwright (sync API) driving Debian's headless chromium.

Run against ``live_server``: here an ASGI server (uvicorn, as ``make run`` and production),
so every page holds its live stream; ``wsgi_server`` is pytest-django's WSGI one, where the
stream cannot be held and pages poll. The broker is replaced by the ``tasks`` fixture so
nothing leaves the process. Without /usr/bin/chromium they skip.
"""

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.channels_email.conftest import (  # noqa: F401 (the e-mail journey's servers)
    customer,
    dovecot,
    mail_servers,
    mailbox,
    world,
)
from tests.support.inflight import wait_until_idle

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in
# one unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


class AsgiLiveServer:
    """uvicorn in a thread on a free port, serving the ASGI application and static files;
    the same interface as pytest-django's ``LiveServer`` (``url``, and the settings its
    helper switches on for each test)."""

    def __init__(self) -> None:
        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from django.test.utils import modify_settings

        from converse.asgi import application

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        app = ASGIStaticFilesHandler(application)
        config = uvicorn.Config(
            app, lifespan="off", log_level="warning", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        self._live_server_modified_settings = modify_settings(ALLOWED_HOSTS={"append": "127.0.0.1"})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def settle(page, timeout: float = 10.0) -> None:
    """Wait until the page holds its live stream, has asked /live/ once since (its
    catch-up) and has no htmx request running: a redraw will not swap rows under a test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate("!!(window.converseLive && window.converseLive.settled())"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page never settled on its live stream")


@pytest.fixture(scope="module", autouse=True)
def connections_closed_after_each_request():
    """As docker-compose.yml runs uvicorn: each request's connection closes when it ends
    (each request has a thread of its own, whose kept connection would linger). The setting
    is every connection's: the tests after these (a worker's task keeping its connection)
    get it back as it was."""
    from django.db import connections

    database = connections.settings["default"]
    kept = database["CONN_MAX_AGE"]
    database["CONN_MAX_AGE"] = 0
    yield
    database["CONN_MAX_AGE"] = kept


@pytest.fixture(scope="session")
def live_server(request):
    """The ASGI server, with the live stream (pytest-django's own is ``wsgi_server``)."""
    from pytest_django.lazy_django import skip_if_no_django

    skip_if_no_django()
    server = AsgiLiveServer()
    yield server
    server.stop()


@pytest.fixture
def wsgi_server(transactional_db):
    """pytest-django's WSGI live server: no stream, so pages poll (the fallback)."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost")
    server._live_server_modified_settings.enable()
    yield server
    server._live_server_modified_settings.disable()
    server.stop()


# Per module, not per session: Playwright's sync API keeps an event loop in this thread
# while it runs, and the tests after the browser tests run event loops of their own.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import expect, sync_playwright

    # Live updates arrive on the next poll; on a loaded CI machine that can take a while.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def sign_in(browser, live_server):
    """Open a fresh browser context signed in as ``user``; returns its page."""
    contexts = []

    def open_page(user, *, init_script: str = "", server=live_server):
        context = browser.new_context(viewport={"width": 1400, "height": 860})
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", user.username)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{server.url}/")
        # As a person would start: once the inbox holds its live stream and its first
        # catch-up has drawn; a row clicked before may be swapped out under the click.
        if isinstance(server, AsgiLiveServer):
            settle(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    wait_until_idle()

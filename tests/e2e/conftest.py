"""Browser tests: Playwright (sync API) driving Debian's headless chromium.

Run against pytest-django's ``live_server``; the broker is replaced by the ``tasks``
fixture so nothing leaves the process. Without /usr/bin/chromium they skip.
"""

import os
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


@pytest.fixture(scope="session")
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

    def open_page(user, *, init_script: str = ""):
        context = browser.new_context(viewport={"width": 1400, "height": 860})
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", user.username)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_page
    for context in contexts:
        context.close()
    wait_until_idle()

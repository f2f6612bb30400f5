"""Web chat: a visitor's message on the agent's screen, idle visitors, messages accepted.

One uvicorn process serves Converse as ``bench/live.py`` runs it (the bench's settings,
PostgreSQL, Redis carrying the live events); the widget's limits are raised in its
environment only, since a bench's flood is what they exist to refuse. Visitors speak the
widget's JSON API (``channels_webchat/views.py``) over plain HTTP, as their browser would,
with the website's origin; the agent is chromium.

- screen: visitors' messages written at a few a second, seen in the website owner's open
  My Inbox (a MutationObserver stamps each), from the POST: p50 and p95.
- idle: 1,000 light asyncio clients (not browsers) polling the state endpoint at the
  closed widget's cadence (every 5 s, ``static/webchat/frame.js`` ``poll``) for a minute:
  the web process's memory before and after, its CPU, and the requests a second served
  (the server connects as a role allowed ``IDLE_CONNECTIONS``: PostgreSQL is shared); and
  one ask's web CPU when unhurried.
- accepted: concurrent visitors writing messages for a while: messages accepted a second.
"""

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.management import call_command
from django.db import connection

from channels_webchat.models import Website
from channels_webchat.views import START_SALT
from channels_webchat.visitors import visitor_start
from channels_webchat.websites import website_save
from inbox.models import User

from .live import process_cpu_seconds, process_rss_mb, server, session_cookies
from .load import HOST, LoadResult, free_port, http_load

ORIGIN = "https://shop.bench.example"
PREFIX = "/webchat"
# The widget's limits, raised for the bench's server only (the product's stay as they are).
UNLIMITED = {
    "WEBCHAT_RATE_START": "1000000/m",
    "WEBCHAT_RATE_WRITE": "1000000/m",
    "WEBCHAT_RATE_ADDRESS": "1000000/m",
    "WEBCHAT_RATE_TYPING": "1000000/m",
}
CLOSED_POLL_SECONDS = 5.0  # frame.js: every 5 s while the chat is closed, 2 s while open
# Under ASGI each request waiting for its sync view holds a thread and a connection of its
# own: a process falling behind 1,000 visitors would take every connection PostgreSQL has
# (others share it). The idle run's server connects as a role of its own allowed this many;
# past them a request fails (counted), as it would behind a pool of that size.
IDLE_ROLE = "bench_webchat_web"
IDLE_CONNECTIONS = 40


@dataclass
class WebchatResult:
    status: str = "ok"
    note: str = ""
    screen_messages: int = 0
    screen_rate: float = 0.0
    screen_p50_ms: float = 0.0
    screen_p95_ms: float = 0.0
    screen_missed: int = 0
    screen_note: str = ""
    idle_visitors: int = 0
    idle_seconds: float = 0.0
    idle_rss_before_mb: float = 0.0
    idle_rss_after_mb: float = 0.0
    idle_cpu_percent: float = 0.0
    idle_requests_per_second: float = 0.0
    idle_failed: int = 0
    state_cpu_ms: float = 0.0
    idle_cpu_ms_per_request: float = 0.0
    accepted_per_second: float = 0.0
    accepted: int = 0
    accepted_seconds: float = 0.0
    accepted_concurrency: int = 0
    accepted_statuses: dict | None = None


def bench_website(owner: User) -> Website:
    """The bench's website, its sender ID owned by ``owner`` (its chats are in their inbox)."""
    found = Website.objects.filter(allowed_origins=ORIGIN, sender__owner=owner).first()
    if found is not None:
        return found
    return website_save(
        website=Website(allowed_origins=ORIGIN), name="Bench shop", team=None, owner=owner
    )


def headers(token: str = "") -> dict[str, str]:
    out = {"Content-Type": "application/json", "Origin": ORIGIN}
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


def start_visitor(http, base: str, website: Website) -> str:
    """A visitor started as the frame starts one: with the signed start token it was given."""
    token = signing.dumps(website.key, salt=START_SALT)
    response = http.post(
        f"{base}{PREFIX}/{website.key}/start", data=json.dumps({"start": token}), headers=headers()
    )
    assert response.status_code == 201, f"start: HTTP {response.status_code} {response.text}"
    return response.json()["token"]


def write(http, base: str, website: Website, token: str, body: str) -> int:
    data = json.dumps({"body": body, "key": secrets.token_hex(8)})
    url = f"{base}{PREFIX}/{website.key}/messages"
    return http.post(url, data=data, headers=headers(token)).status_code


# Stamps when each "bench-webchat-N" first shows anywhere in the page.
OBSERVER = """
window.__seen = {};
new MutationObserver(function (mutations) {
  var now = Date.now();
  mutations.forEach(function (m) {
    m.addedNodes.forEach(function (node) {
      var text = node.textContent || "";
      var found = text.match(/bench-webchat-\\d+/g) || [];
      found.forEach(function (mark) { if (!(mark in window.__seen)) window.__seen[mark] = now; });
    });
  });
}).observe(document, { childList: true, subtree: true });
"""


def measure_screen(
    port: int, website: Website, agent: User, result: WebchatResult, *, messages: int = 100,
    rate: float = 3.0, visitors: int = 10,
) -> None:  # fmt: skip
    """Visitors' messages through the widget's API, seen in the agent's My Inbox."""
    import requests

    if not Path("/usr/bin/chromium").exists():
        result.screen_note = "no chromium at /usr/bin/chromium"
        return
    from playwright.sync_api import sync_playwright

    base = f"http://{HOST}:{port}"
    http = requests.Session()
    # Each visitor's chat begins before the agent looks: the figure is a message's way to an
    # open inbox, not a new conversation's.
    tokens = [start_visitor(http, base, website) for _ in range(visitors)]
    for n, token in enumerate(tokens):
        assert write(http, base, website, token, f"Hello from visitor {n}") == 201
    cookie = session_cookies([agent])[0]  # before Playwright's event loop: the ORM is sync
    posted: dict[str, float] = {}
    seen: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context()
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
        context.add_init_script(OBSERVER)
        page = context.new_page()
        page.goto(f"{base}/")
        deadline = time.monotonic() + 30
        while not page.evaluate("!!(window.converseLive && window.converseLive.settled())"):
            assert time.monotonic() < deadline, "the page never held its stream"
            page.wait_for_timeout(100)
        start = time.monotonic()
        for n in range(messages):
            wait = start + n / rate - time.monotonic()
            if wait > 0:
                page.wait_for_timeout(wait * 1000)
            mark = f"bench-webchat-{n}"
            posted[mark] = time.time() * 1000
            status = write(http, base, website, tokens[n % len(tokens)], f"Question {mark}")
            assert status == 201, f"write: HTTP {status}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            seen = page.evaluate("window.__seen")
            if len(seen) >= messages:
                break
            page.wait_for_timeout(250)
        browser.close()
    latencies = sorted(seen[k] - t for k, t in posted.items() if k in seen)
    result.screen_messages, result.screen_rate = messages, rate
    result.screen_missed = messages - len(latencies)
    if latencies:
        result.screen_p50_ms = round(latencies[len(latencies) // 2], 1)
        result.screen_p95_ms = round(latencies[max(int(len(latencies) * 0.95) - 1, 0)], 1)


class IdleVisitor:
    """One closed widget: asks for its state every ``every`` seconds on one connection."""

    def __init__(self, port: int, key: str, token: str, every: float) -> None:
        self.port, self.every = port, every
        self.request = (
            f"GET {PREFIX}/{key}/state?page=https%3A%2F%2Fshop.bench.example%2F&lang=en&tz=UTC "
            f"HTTP/1.1\r\nHost: {HOST}:{port}\r\nOrigin: {ORIGIN}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        self.done = 0
        self.failed = 0

    async def poll(self, first: float, until: float) -> None:
        await asyncio.sleep(first)
        conn = None
        while time.monotonic() < until:
            began = time.monotonic()
            # A kept connection the server closed meanwhile (its keep-alive is 5 s) is
            # opened again and the ask repeated, as a browser does.
            for attempt in (1, 2):
                reused = conn is not None
                try:
                    if conn is None:
                        conn = await asyncio.open_connection(HOST, self.port)
                    ok = await self._ask(*conn)
                    self.done += ok
                    self.failed += not ok
                    break
                except (OSError, asyncio.IncompleteReadError, ConnectionError, ValueError):
                    if conn is not None:
                        conn[1].close()
                    conn = None
                    if not reused or attempt == 2:
                        self.failed += 1
                        break
            await asyncio.sleep(max(0.0, began + self.every - time.monotonic()))
        if conn is not None:
            conn[1].close()

    async def _ask(self, reader, writer) -> bool:
        writer.write(self.request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        return b" 200 " in head.split(b"\r\n", 1)[0]


@contextmanager
def limited_role(limit: int) -> Iterator[str]:
    """A login role with every right on the bench's tables but at most ``limit``
    connections; yields its ``DATABASE_URL``, and drops the role afterwards."""
    from psycopg import sql

    role = sql.Identifier(IDLE_ROLE)
    statements = [
        sql.SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT {}").format(role, limit),
        sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(role),
        sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA public TO {}").format(role),
        sql.SQL("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
    ]
    drop = [sql.SQL("DROP OWNED BY {}").format(role), sql.SQL("DROP ROLE {}").format(role)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [IDLE_ROLE])
        for statement in drop if cursor.fetchone() else []:
            cursor.execute(statement)
        for statement in statements:
            cursor.execute(statement)
    db = connection.settings_dict
    try:
        yield f"postgres://{IDLE_ROLE}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)


def measure_state_cost(port: int, process, website: Website, result: WebchatResult) -> None:
    """One visitor asking for its state, one ask after another: the web CPU of one ask
    unhurried, and so how many a second the process could serve."""
    import requests

    token = visitor_start(website=website)[1]
    connection.close()
    http = requests.Session()
    url = f"http://{HOST}:{port}{PREFIX}/{website.key}/state"
    http.get(url, headers=headers(token))  # the first ask's own work (imports, caches)
    count = 100
    cpu = process_cpu_seconds(process.pid)
    for _ in range(count):
        http.get(url, headers=headers(token))
    result.state_cpu_ms = round((process_cpu_seconds(process.pid) - cpu) * 1000 / count, 2)


def measure_idle(
    port: int, process, website: Website, result: WebchatResult, *, count: int = 1000,
    seconds: float = 60.0,
) -> None:  # fmt: skip
    """``count`` closed widgets polling for ``seconds``: the process's memory, CPU, rate."""
    tokens = [visitor_start(website=website)[1] for _ in range(count)]
    connection.close()
    result.idle_rss_before_mb = round(process_rss_mb(process.pid), 1)
    clients = [IdleVisitor(port, website.key, t, CLOSED_POLL_SECONDS) for t in tokens]

    async def run() -> tuple[float, int]:
        # The widgets' first asks spread over one interval, as visitors arrive over time;
        # measured from then on, when every one of them is polling.
        warm = CLOSED_POLL_SECONDS
        began = time.monotonic()
        until = began + warm + seconds
        tasks = [
            asyncio.create_task(c.poll(warm * i / count, until)) for i, c in enumerate(clients)
        ]
        await asyncio.sleep(warm)
        done_before = sum(c.done for c in clients)
        cpu = process_cpu_seconds(process.pid)
        await asyncio.sleep(seconds)
        cpu = process_cpu_seconds(process.pid) - cpu
        served = sum(c.done for c in clients) - done_before
        await asyncio.gather(*tasks, return_exceptions=True)
        return cpu, served

    cpu, served = asyncio.run(run())
    result.idle_visitors, result.idle_seconds = count, seconds
    result.idle_rss_after_mb = round(process_rss_mb(process.pid), 1)
    result.idle_cpu_percent = round(cpu / seconds * 100, 1)
    result.idle_requests_per_second = round(served / seconds, 1)
    result.idle_failed = sum(c.failed for c in clients)
    result.idle_cpu_ms_per_request = round(cpu * 1000 / served, 1) if served else 0.0


def measure_accepted(
    port: int, website: Website, result: WebchatResult, *, concurrency: int = 8,
    seconds: float = 15.0,
) -> None:  # fmt: skip
    """``concurrency`` visitors writing one message after another: messages accepted a second."""
    tokens = [visitor_start(website=website)[1] for _ in range(concurrency)]
    connection.close()  # the client processes are forked from here
    path = f"{PREFIX}/{website.key}/messages"

    def make(worker: int, seq: int):
        body = json.dumps({"body": f"Is this in stock? ({seq})", "key": f"b{worker}-{seq}"})
        return "POST", path, body.encode(), headers(tokens[worker])

    load: LoadResult = http_load(port, make, concurrency=concurrency, seconds=seconds)
    result.accepted_per_second = load.per_second
    result.accepted = load.done
    result.accepted_seconds = load.seconds
    result.accepted_concurrency = load.concurrency
    result.accepted_statuses = load.statuses


def measure_webchat(*, concurrency: int = 8) -> WebchatResult:
    result = WebchatResult()
    if not settings.REDIS_URL:
        return WebchatResult(status="skipped", note="needs Redis (REDIS_URL)")
    agent = User.objects.filter(role="standard", is_active=True).order_by("username").first()
    website = bench_website(agent)
    # The page's scripts, from STATIC_ROOT as in production (WhiteNoise, DEBUG off).
    call_command("collectstatic", interactive=False, verbosity=0)
    port = free_port()
    with server(port, UNLIMITED) as process:
        try:
            measure_screen(port, website, agent, result)
        except Exception as error:  # the other figures stand; the table says why not this
            result.screen_note = f"{type(error).__name__}: {error}"
        connection.close()
    with limited_role(IDLE_CONNECTIONS) as database_url:
        connection.close()
        with server(port, UNLIMITED | {"DATABASE_URL": database_url}) as process:
            measure_state_cost(port, process, website, result)
            measure_idle(port, process, website, result)
    with server(port, UNLIMITED):
        measure_accepted(port, website, result, concurrency=concurrency)
    return result


def webchat_lines(r: dict, webhook: dict | None) -> list[str]:
    """The three figures, one line each; web-chat writes beside the Twilio webhook's rate."""
    if r["status"] != "ok":
        return ["", f"{'web chat':<34} {r['status']}: {r['note']}"]
    lines = ["", "Web chat (one uvicorn process, events through Redis; widget limits raised)"]
    if r.get("screen_messages"):
        lines.append(
            f"  visitor message to agent screen: p50 {r['screen_p50_ms']:.0f} ms, "
            f"p95 {r['screen_p95_ms']:.0f} ms over {r['screen_messages']} messages at "
            f"{r['screen_rate']:g}/s (widget API POST → the owner's My Inbox in chromium; "
            f"{r['screen_missed']} never shown; goal p95 ≤ 1 s)"
        )
    else:
        lines.append(f"  visitor message to agent screen: not measured ({r['screen_note']})")
    lines.append(
        f"  {r['idle_visitors']:,} idle visitors polling every {CLOSED_POLL_SECONDS:g} s on one "
        f"process for {r['idle_seconds']:.0f} s: {r['idle_rss_after_mb']:.0f} MB (from "
        f"{r['idle_rss_before_mb']:.0f} MB), {r['idle_cpu_percent']:.1f} % CPU, "
        f"{r['idle_requests_per_second']:,.1f} requests/s served "
        f"(due {r['idle_visitors'] / CLOSED_POLL_SECONDS:,.0f}/s; {r['idle_failed']:,} failed; "
        f"{r['idle_cpu_ms_per_request']:g} ms of web CPU each; at most {IDLE_CONNECTIONS} "
        "database connections)"
    )
    if r.get("state_cpu_ms"):
        lines.append(
            f"  one state ask, unhurried: {r['state_cpu_ms']:g} ms of web CPU (so at most "
            f"{1000 / r['state_cpu_ms']:,.0f} a second, {5000 / r['state_cpu_ms']:,.0f} closed "
            "widgets, on one core)"
        )
    if webhook and webhook.get("status") == "ok":
        beside = (
            f"the Twilio webhook's ingest {webhook['per_second']:,.1f}/s (gunicorn, "
            f"c={webhook['concurrency']}; web chat here: one uvicorn process)"
        )
    else:
        beside = "the Twilio webhook's ingest not measured in this run (--only webhook)"
    lines.append(
        f"  messages accepted: {r['accepted_per_second']:,.1f}/s ({r['accepted_concurrency']} "
        f"visitors writing for {r['accepted_seconds']:g} s, {r['accepted']:,} accepted, "
        f"statuses {r['accepted_statuses']}); beside {beside}"
    )
    return lines

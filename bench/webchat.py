"""Web chat: a visitor's message on the agent's screen, an agent's reply on the visitor's,
idle visitors holding their streams, messages accepted.

One uvicorn process serves Converse as ``bench/live.py`` runs it (the bench's settings,
PostgreSQL, Redis carrying the live events); the widget's limits are raised in its
environment only, since a bench's flood is what they exist to refuse. Visitors speak the
widget's JSON API and stream (``channels_webchat/views.py``, ``stream.py``) over plain HTTP,
as their browser would, with the website's origin; the agent and the visitors' frames are
chromium.

- screen: visitors' messages written at a few a second, seen in the website owner's open
  My Inbox (a MutationObserver stamps each), from the POST: p50 and p95.
- reply: agent replies (stored as the compose box stores them, delivered by a Celery worker)
  seen in the visitors' chat frames, open in chromium and holding their streams: p50, p95.
- idle: 1,000 light asyncio clients (not browsers) each holding a visitor's stream for a
  minute: the web process's memory before and after, its CPU, the database connections its
  role holds meanwhile (the server connects as a role allowed ``IDLE_CONNECTIONS``:
  PostgreSQL is shared), how many were held; then an event in each visitor's conversation,
  25 a second: how many streams told their visitor, and answered the state ask that follows
  (as the frame asks); and one state ask's web CPU when unhurried (what a visitor without a
  stream costs every few seconds).
- accepted: concurrent visitors writing messages for a while: messages accepted a second.
"""

import asyncio
import contextlib
import json
import os
import secrets
import time
from collections import Counter
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
from channels_webchat.visitors import conversation_of, visitor_start, visitor_write
from channels_webchat.websites import website_save
from inbox.live_events import event_record
from inbox.models import Conversation, Message, MessageStatus, User
from inbox.services.sending import message_send

from . import outbound
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
    "WEBCHAT_RATE_STREAM": "1000000/m",
}
CLOSED_POLL_SECONDS = 5.0  # frame.js without a stream: every 5 s while closed, 2 s while open
# Under ASGI each request waiting for its sync view holds a thread and a connection of its
# own. The idle run's server connects as a role of its own allowed this many (PostgreSQL is
# shared); past them a request fails (counted), as it would behind a pool of that size.
IDLE_ROLE = "bench_webchat_web"
IDLE_CONNECTIONS = 40
# The idle visitors' conversations each get an event at this rate, once held a minute.
ANSWER_RATE = 25.0


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
    reply_messages: int = 0
    reply_rate: float = 0.0
    reply_visitors: int = 0
    reply_p50_ms: float = 0.0
    reply_p95_ms: float = 0.0
    reply_missed: int = 0
    reply_note: str = ""
    idle_visitors: int = 0
    idle_held: int = 0
    idle_seconds: float = 0.0
    idle_rss_before_mb: float = 0.0
    idle_rss_after_mb: float = 0.0
    idle_cpu_percent: float = 0.0
    idle_connections: int = 0
    idle_threads: int = 0
    idle_told: int = 0
    idle_answered: int = 0
    idle_answer_seconds: float = 0.0
    idle_answer_cpu_percent: float = 0.0
    idle_answer_statuses: dict | None = None
    state_cpu_ms: float = 0.0
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
    """One visitor's chat holding its stream, as the frame holds it: on "change" it asks for
    its state once (a connection of its own for that)."""

    def __init__(self, port: int, key: str, token: str) -> None:
        self.port = port
        self.stream = (
            f"GET {PREFIX}/{key}/stream?page=https%3A%2F%2Fshop.bench.example%2F&lang=en&tz=UTC "
            f"HTTP/1.1\r\nHost: {HOST}:{port}\r\nOrigin: {ORIGIN}\r\n"
            f"Accept: text/event-stream\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
        self.state = (
            f"GET {PREFIX}/{key}/state HTTP/1.1\r\nHost: {HOST}:{port}\r\nOrigin: {ORIGIN}\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ).encode()
        self.ready = asyncio.Event()
        self.told_at: float | None = None
        self.answered_at: float | None = None
        self.status = ""
        self.error = ""

    async def hold(self, stop: asyncio.Event) -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port, limit=2**16)
        except OSError as error:
            self.error = str(error)
            return
        try:
            writer.write(self.stream)
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                self.error = head.split(b"\r\n", 1)[0].decode()
                return
            while not stop.is_set():
                try:
                    line = await asyncio.wait_for(reader.readline(), 0.5)
                except TimeoutError:
                    continue
                if not line:
                    self.error = "the stream ended"
                    return
                if line.startswith(b"event: ready"):
                    self.ready.set()
                elif line.startswith(b"event: change") and self.told_at is None:
                    self.told_at = time.monotonic()
                    asyncio.get_running_loop().create_task(self._ask())
        except (OSError, asyncio.IncompleteReadError, ConnectionError) as error:
            self.error = str(error) or type(error).__name__
        finally:
            writer.close()

    async def _ask(self) -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port)
        except OSError as error:
            self.error = str(error)
            return
        try:
            writer.write(self.state)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
            self.status = head.split(b"\r\n", 1)[0].decode()
            if b" 200 " in head.split(b"\r\n", 1)[0]:
                self.answered_at = time.monotonic()
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            self.error = f"state: {type(error).__name__}"
        finally:
            writer.close()


def idle_visitors(website: Website, count: int) -> list[tuple[str, int]]:
    """``count`` visitors, each with their conversation (a first message): their tokens and
    conversations' ids."""
    out = []
    for n in range(count):
        visitor, token = visitor_start(website=website)
        visitor_write(visitor=visitor, body=f"Idle visitor {n}", key="k1")
        out.append((token, conversation_of(visitor).pk))
    return out


def process_threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("Threads:")).split()[1])


def role_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [IDLE_ROLE])
        return cursor.fetchone()[0]


def measure_idle(
    port: int, process, visitors: list[tuple[str, int]], key: str, result: WebchatResult,
    *, seconds: float = 60.0,
) -> None:  # fmt: skip
    """Every visitor holding their stream for ``seconds``: the process's memory, CPU, the
    connections its role holds; then an event in each conversation, ``ANSWER_RATE`` a
    second: the streams that told their visitor, and the state asks answered."""
    connection.close()
    result.idle_rss_before_mb = round(process_rss_mb(process.pid), 1)
    clients = [IdleVisitor(port, key, token) for token, _ in visitors]
    conversations = [pk for _, pk in visitors]

    def tell_each() -> float:
        began = time.monotonic()
        for n, pk in enumerate(conversations):
            wait = began + n / ANSWER_RATE - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            event_record(kind="message_status", conversations=[pk], data={"status": "read"})
        connection.close()
        return began

    async def run() -> None:
        stop = asyncio.Event()
        tasks = []
        for n, client in enumerate(clients):
            tasks.append(asyncio.create_task(client.hold(stop)))
            if n % 50 == 49:
                await asyncio.sleep(0.05)  # in waves, as visitors arrive over time
        try:
            ready = asyncio.gather(*(c.ready.wait() for c in clients))
            with contextlib.suppress(TimeoutError):  # counted below
                await asyncio.wait_for(ready, 120)
            await asyncio.sleep(3)  # the opens' own work is over
            result.idle_held = sum(c.ready.is_set() for c in clients)
            cpu = process_cpu_seconds(process.pid)
            await asyncio.sleep(seconds / 2)
            result.idle_connections = await asyncio.to_thread(role_connections)
            result.idle_threads = process_threads(process.pid)
            await asyncio.sleep(seconds / 2)
            cpu = process_cpu_seconds(process.pid) - cpu
            result.idle_cpu_percent = round(cpu / seconds * 100, 2)
            result.idle_rss_after_mb = round(process_rss_mb(process.pid), 1)
            cpu = process_cpu_seconds(process.pid)
            began = await asyncio.to_thread(tell_each)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(c.answered_at is None for c in clients):
                await asyncio.sleep(0.1)
            result.idle_answer_cpu_percent = round(
                (process_cpu_seconds(process.pid) - cpu) / (time.monotonic() - began) * 100, 1
            )
            answered = [c.answered_at for c in clients if c.answered_at is not None]
            result.idle_told = sum(c.told_at is not None for c in clients)
            result.idle_answered = len(answered)
            result.idle_answer_seconds = round(max(answered) - began, 1) if answered else 0.0
            statuses = Counter(c.status.split(" ", 1)[-1] or c.error or "none" for c in clients)
            result.idle_answer_statuses = dict(statuses)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())
    result.idle_visitors, result.idle_seconds = len(clients), seconds


# Stamps when each "bench-reply-N" first shows anywhere in the page.
REPLY_OBSERVER = OBSERVER.replace("bench-webchat-", "bench-reply-")


def measure_reply(
    port: int, website: Website, agent: User, result: WebchatResult, *, replies: int = 60,
    rate: float = 2.0, visitors: int = 4,
) -> None:  # fmt: skip
    """Agent replies to visitors whose chat frames are open in chromium, holding their
    streams: from the reply's storing to the frame's DOM."""
    if not Path("/usr/bin/chromium").exists():
        result.reply_note = "no chromium at /usr/bin/chromium"
        return
    from playwright.sync_api import sync_playwright

    base = f"http://{HOST}:{port}"
    run = secrets.token_hex(4)
    posted: dict[str, float] = {}
    seen: dict[str, float] = {}
    worker = outbound.start_worker({}, 2, 95, queues="default")
    # The replies are stored here while Playwright's event loop runs in this thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )
            pages, conversations = [], []
            for n in range(visitors):
                # A context each: a visitor each (the token is in the frame's storage).
                context = browser.new_context()
                context.add_init_script(REPLY_OBSERVER)
                page = context.new_page()
                page.goto(f"{base}{PREFIX}/{website.key}/frame/#open=1")
                page.fill("#body", f"bench-hello-{run}-{n}")
                page.press("#body", "Enter")
                page.wait_for_selector(f".msg-mine:has-text('bench-hello-{run}-{n}')")
                page.wait_for_selector("html[data-live=stream]", timeout=30_000)
                pages.append(page)
                found = Message.objects.get(body=f"bench-hello-{run}-{n}").conversation
                conversations.append(found)
            # A first reply each, delivered: the worker is up and every frame has asked once.
            for conversation in conversations:
                message_send(conversation=conversation, author=agent, body="Hello!")
            deadline = time.monotonic() + 60
            while Message.objects.filter(body="Hello!", status=MessageStatus.QUEUED).exists():
                assert time.monotonic() < deadline, "the worker never delivered"
                pages[0].wait_for_timeout(100)
            start = time.monotonic()
            for n in range(replies):
                wait = start + n / rate - time.monotonic()
                if wait > 0:
                    pages[0].wait_for_timeout(wait * 1000)
                mark = f"bench-reply-{n}"
                posted[mark] = time.time() * 1000
                conversation = Conversation.objects.get(pk=conversations[n % visitors].pk)
                message_send(conversation=conversation, author=agent, body=f"Answer {mark}")
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                seen = {}
                for page in pages:
                    seen.update(page.evaluate("window.__seen"))
                if len(seen) >= replies:
                    break
                pages[0].wait_for_timeout(250)
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        worker.terminate()
        worker.wait(timeout=60)
        connection.close()
    latencies = sorted(seen[k] - t for k, t in posted.items() if k in seen)
    result.reply_messages, result.reply_rate, result.reply_visitors = replies, rate, visitors
    result.reply_missed = replies - len(latencies)
    if latencies:
        result.reply_p50_ms = round(latencies[len(latencies) // 2], 1)
        result.reply_p95_ms = round(latencies[max(int(len(latencies) * 0.95) - 1, 0)], 1)


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
        try:
            measure_reply(port, website, agent, result)
        except Exception as error:
            result.reply_note = f"{type(error).__name__}: {error}"
        connection.close()
    visitors = idle_visitors(website, 1000)
    with limited_role(IDLE_CONNECTIONS) as database_url:
        connection.close()
        with server(port, UNLIMITED | {"DATABASE_URL": database_url}) as process:
            measure_state_cost(port, process, website, result)
            measure_idle(port, process, visitors, website.key, result)
    with server(port, UNLIMITED):
        measure_accepted(port, website, result, concurrency=concurrency)
    return result


def webchat_lines(r: dict, webhook: dict | None) -> list[str]:
    """Each figure on a line; web-chat writes beside the Twilio webhook's rate."""
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
    if r.get("reply_messages"):
        lines.append(
            f"  agent reply to visitor screen: p50 {r['reply_p50_ms']:.0f} ms, "
            f"p95 {r['reply_p95_ms']:.0f} ms over {r['reply_messages']} replies at "
            f"{r['reply_rate']:g}/s to {r['reply_visitors']} chats (stored → a Celery worker "
            f"delivers → the stream → the frame's state ask → its DOM in chromium; "
            f"{r['reply_missed']} never shown)"
        )
    else:
        lines.append(f"  agent reply to visitor screen: not measured ({r['reply_note']})")
    lines.append(
        f"  {r['idle_visitors']:,} idle visitors holding their streams on one process for "
        f"{r['idle_seconds']:.0f} s: {r['idle_held']:,} held, {r['idle_rss_after_mb']:.0f} MB "
        f"(from {r['idle_rss_before_mb']:.0f} MB), {r['idle_cpu_percent']:.2f} % CPU, "
        f"{r['idle_connections']} database connections and {r.get('idle_threads', 0)} threads "
        f"meanwhile (at most {IDLE_CONNECTIONS} connections)"
    )
    lines.append(
        f"  then an event in each one's conversation, {ANSWER_RATE:g} a second: "
        f"{r['idle_told']:,} streams told their visitor, {r['idle_answered']:,} state asks "
        f"answered, the last {r['idle_answer_seconds']:g} s after the first event "
        f"({r['idle_answer_cpu_percent']:.1f} % CPU meanwhile; answers "
        f"{r.get('idle_answer_statuses')})"
    )
    if r.get("state_cpu_ms"):
        lines.append(
            f"  one state ask, unhurried: {r['state_cpu_ms']:g} ms of web CPU (a chat without "
            f"a stream asks every {CLOSED_POLL_SECONDS:g} s while closed: at most "
            f"{CLOSED_POLL_SECONDS * 1000 / r['state_cpu_ms']:,.0f} such chats on one core)"
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

"""Live by push: what the stream costs the server, and whether a restart loses anything.

One uvicorn process serves Converse (the bench's settings: PostgreSQL, and Redis carrying
the events between processes). The clients are light: asyncio sockets that hold
``/live/stream/`` open and read what comes, as many as a team's tabs, not browsers.

- idle: tabs holding their stream for a while; the web process's CPU, the SQL it runs
  (counted in the server, ``bench/urls.py``) and the requests a tab makes (its presence
  beat every ``STREAM_BEAT_SECONDS``, measured apart).
- streams: 1,000 idle streams on the one process, its memory and CPU while they idle.
- resume: streams that see every event of 50 a second (one conversation each, so each is
  named in what the stream sends) while the web process is killed (SIGKILL) and started
  again; each client reconnects with its ``Last-Event-ID``; missed = recorded minus seen.
"""

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from converse.redis_client import redis_client
from inbox import presence
from inbox.live_events import event_record
from inbox.models import Conversation, User

from .load import HOST, ROOT, answers, free_port, wait_for

STREAM = "/live/stream/"
QUERY_COUNTER = "bench:live:queries"  # bench/urls.py counts the server's queries here


@dataclass
class LiveResult:
    status: str = "ok"
    note: str = ""
    idle_tabs: int = 0
    idle_seconds: float = 0.0
    tab_requests_per_minute: float = 0.0
    tab_queries_per_minute: float = 0.0
    tab_cpu_ms_per_minute: float = 0.0
    process_queries_per_minute: float = 0.0
    streams: int = 0
    streams_rss_mb: float = 0.0
    streams_rss_before_mb: float = 0.0
    streams_cpu_percent: float = 0.0
    resume_events: int = 0
    resume_rate: float = 0.0
    resume_clients: int = 0
    resume_missed: int = 0
    resume_down_seconds: float = 0.0
    screen_events: int = 0
    screen_p50_ms: float = 0.0
    screen_p95_ms: float = 0.0
    screen_missed: int = 0
    screen_note: str = ""


def server_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "converse.asgi:application", "--host", HOST,
        "--port", str(port), "--log-level", "warning", "--no-access-log",
        "--timeout-graceful-shutdown", "1",
    ]  # fmt: skip


# As in docker-compose.yml: under ASGI each request's connection closes when it ends.
SERVER_ENV = {"DATABASE_CONN_MAX_AGE": "0"}


def start_server(port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    environment = os.environ | SERVER_ENV | (env or {})
    process = subprocess.Popen(server_command(port), cwd=ROOT, env=environment)
    wait_for(lambda: answers(port, "/bench/bare"), timeout=60, what="uvicorn")
    return process


@contextmanager
def server(port: int, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    process = start_server(port, env)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def process_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        kb = int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))
    return kb / 1024


def session_cookies(users: list[User]) -> list[str]:
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return cookies


class StreamClient:
    """One tab's stream: the ids and conversations it was told of."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.last_id = ""
        self.seen: set[str] = set()
        self.ready = asyncio.Event()
        self.messages = 0

    async def hold(self, stop: asyncio.Event) -> None:
        """Keep the stream open until ``stop``, reconnecting (from the last id) when it
        breaks, as a browser does."""
        while not stop.is_set():
            try:
                await self._read(stop)
            except (OSError, asyncio.IncompleteReadError, ConnectionError):
                await asyncio.sleep(2)  # the browser's own wait (the stream's retry:)

    async def _read(self, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.port)
        try:
            resume = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
            writer.write(
                (
                    f"GET {STREAM} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n"
                    f"Cookie: {settings.SESSION_COOKIE_NAME}={self.cookie}\r\n{resume}\r\n"
                ).encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
            while not stop.is_set():
                try:
                    line = await asyncio.wait_for(reader.readline(), 0.5)
                except TimeoutError:
                    continue
                if not line:
                    raise ConnectionError("the stream ended")
                self._line(line.decode().strip())
        finally:
            writer.close()

    def _line(self, line: str) -> None:
        if line.startswith("id: "):
            self.last_id = line[4:]
        elif line == "event: ready":
            self.ready.set()
        elif line.startswith("data: {") and '"c":' in line:
            self.messages += 1
            self.seen.update(re.findall(r'"([a-z0-9]{16})"', line.split('"c":', 1)[1]))


async def _hold_streams(port: int, cookies: list[str], count: int, measure) -> object:
    stop = asyncio.Event()
    clients = [StreamClient(port, cookies[i % len(cookies)]) for i in range(count)]
    tasks = []
    for i, client in enumerate(clients):
        tasks.append(asyncio.create_task(client.hold(stop)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # connect in waves, as tabs open over time
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 120)
    try:
        return await measure(clients)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


def measure_idle(port: int, process: subprocess.Popen, cookies: list[str], result: LiveResult):
    """Tabs that hold their stream and hear nothing: what they cost a minute."""
    tabs, seconds = 20, 60.0

    counter = redis_client(settings.REDIS_URL)

    async def idle(clients):
        await asyncio.sleep(2)  # the connects' own work is over
        counter.set(QUERY_COUNTER, 0)
        cpu = process_cpu_seconds(process.pid)
        await asyncio.sleep(seconds)
        cpu = process_cpu_seconds(process.pid) - cpu
        return cpu, int(counter.get(QUERY_COUNTER) or 0)

    cpu, queries = asyncio.run(_hold_streams(port, cookies, tabs, idle))
    beat_cpu_ms, beat_queries = measure_beats(port, process)
    beats = 60 / presence.STREAM_BEAT_SECONDS
    result.idle_tabs, result.idle_seconds = tabs, seconds
    result.process_queries_per_minute = round(queries * 60 / seconds, 1)
    result.tab_requests_per_minute = beats
    result.tab_queries_per_minute = beats * beat_queries
    result.tab_cpu_ms_per_minute = round(cpu * 1000 * 60 / seconds / tabs + beats * beat_cpu_ms, 2)


def measure_beats(port: int, process: subprocess.Popen) -> tuple[float, int]:
    """One presence beat through the server: its CPU there, and its SQL (pinned by
    tests/inbox/test_presence.py)."""
    import requests

    conversation = Conversation.objects.filter(owner__isnull=False).order_by("pk").first()
    owner = User.objects.get(pk=conversation.owner_id)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, session_cookies([owner])[0])
    page = session.get(f"http://{HOST}:{port}/c/{conversation.public_id}/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
    url = f"http://{HOST}:{port}/c/{conversation.public_id}/presence/"
    headers = {"X-CSRFToken": token, "Referer": f"http://{HOST}:{port}/"}
    count = 50
    cpu = process_cpu_seconds(process.pid)
    for _ in range(count):
        session.post(url, data={"every": "120"}, headers=headers)
    return (process_cpu_seconds(process.pid) - cpu) * 1000 / count, 4


def measure_many(port: int, process: subprocess.Popen, cookies: list[str], result: LiveResult):
    count, seconds = 1000, 30.0
    result.streams_rss_before_mb = round(process_rss_mb(process.pid), 1)

    async def idle(clients):
        await asyncio.sleep(3)
        cpu = process_cpu_seconds(process.pid)
        await asyncio.sleep(seconds)
        return process_cpu_seconds(process.pid) - cpu, process_rss_mb(process.pid)

    cpu, rss = asyncio.run(_hold_streams(port, cookies, count, idle))
    result.streams = count
    result.streams_rss_mb = round(rss, 1)
    result.streams_cpu_percent = round(cpu / seconds * 100, 2)


def measure_resume(port: int, admin: User, result: LiveResult) -> None:
    """50 events a second for 12 s, the web process killed after 4 s and started again."""
    rate, seconds, clients_count = 50, 12.0, 20
    conversations = list(Conversation.objects.order_by("-pk")[: int(rate * seconds)])
    holder = {"process": start_server(port)}
    recorded: list[str] = []
    down = {"seconds": 0.0}

    def produce() -> None:
        start = time.monotonic()
        for n, conversation in enumerate(conversations):
            wait = start + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            event_record(kind="bench", conversations=[conversation])
            recorded.append(conversation.public_id)
            if n == int(rate * 4):
                killed = time.monotonic()
                holder["process"].send_signal(signal.SIGKILL)
                holder["process"].wait()
                holder["process"] = subprocess.Popen(
                    server_command(port), cwd=ROOT, env=os.environ | SERVER_ENV
                )
                wait_for(lambda: answers(port, "/bench/bare"), timeout=60, what="uvicorn")
                down["seconds"] = time.monotonic() - killed
        connection.close()

    async def run(clients):
        producer = threading.Thread(target=produce)
        producer.start()
        await asyncio.to_thread(producer.join)
        await asyncio.sleep(3)  # the last events reach every stream
        return clients

    try:
        admin_cookie = session_cookies([admin])[0]
        clients = asyncio.run(_hold_streams(port, [admin_cookie], clients_count, run))
    finally:
        holder["process"].terminate()
        holder["process"].wait(timeout=30)
    expected = set(recorded)
    result.resume_events = len(recorded)
    result.resume_rate = rate
    result.resume_clients = clients_count
    result.resume_missed = sum(len(expected - c.seen) for c in clients)
    result.resume_down_seconds = round(down["seconds"], 1)


# Stamps when each "bench-live-N" first shows anywhere in the page.
OBSERVER = """
window.__seen = {};
new MutationObserver(function (mutations) {
  var now = Date.now();
  mutations.forEach(function (m) {
    m.addedNodes.forEach(function (node) {
      var text = node.textContent || "";
      var found = text.match(/bench-live-\\d+/g) || [];
      found.forEach(function (mark) { if (!(mark in window.__seen)) window.__seen[mark] = now; });
    });
  });
}).observe(document, { childList: true, subtree: true });
"""


def measure_screen(result: LiveResult, *, events: int = 200, rate: float = 4.0) -> None:
    """Customer messages posted to the signed webhook, routed by an inbound worker, seen
    in the agent's open My Inbox in chromium: from the POST to the MutationObserver."""
    from pathlib import Path

    from twilio.request_validator import RequestValidator

    from . import outbound, webhook

    if not Path("/usr/bin/chromium").exists():
        result.screen_note = "no chromium at /usr/bin/chromium"
        return
    from playwright.sync_api import sync_playwright

    agent = User.objects.filter(role="standard", is_active=True).order_by("username").first()
    threads = list(
        outbound.sendable(Conversation.objects.filter(owner=agent)).select_related("sender_id")[
            :events
        ]
    )
    port = free_port()
    env = webhook.twilio_env(port)
    base = f"http://{HOST}:{port}"
    validator = RequestValidator(webhook.AUTH_TOKEN)
    url = f"{base}{webhook.PATH}"
    posted: dict[str, float] = {}
    run = str(int(time.time()))
    # The page's scripts, from STATIC_ROOT as in production (WhiteNoise, DEBUG off).
    call_command("collectstatic", interactive=False, verbosity=0)
    cookie = session_cookies([agent])[0]  # before Playwright's event loop: the ORM is sync
    worker = outbound.start_worker(env, 4, 90, queues="inbound")
    try:
        with server(port, env), sync_playwright() as playwright:
            import requests

            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )
            context = browser.new_context()
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                  "url": base}]
            )  # fmt: skip
            context.add_init_script(OBSERVER)
            page = context.new_page()
            page.goto(f"{base}/")
            deadline = time.monotonic() + 30
            while not page.evaluate("!!(window.converseLive && window.converseLive.settled())"):
                assert time.monotonic() < deadline, "the page never held its stream"
                page.wait_for_timeout(100)
            http = requests.Session()
            start = time.monotonic()
            for n in range(events):
                wait = start + n / rate - time.monotonic()
                if wait > 0:
                    page.wait_for_timeout(wait * 1000)
                thread = threads[n % len(threads)]
                sid = f"SMlive{run}{n:020d}"
                params = {
                    "AccountSid": webhook.ACCOUNT_SID, "ApiVersion": "2010-04-01",
                    "Body": f"bench-live-{n}", "From": thread.customer_address,
                    "To": thread.sender_id.address, "MessageSid": sid, "SmsMessageSid": sid,
                    "NumMedia": "0", "NumSegments": "1",
                }  # fmt: skip
                signature = validator.compute_signature(url, params)
                posted[f"bench-live-{n}"] = time.time() * 1000
                http.post(url, data=params, headers={"X-Twilio-Signature": signature})
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                seen = page.evaluate("window.__seen")
                if len(seen) >= events:
                    break
                page.wait_for_timeout(250)
            browser.close()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    latencies = sorted(seen[k] - t for k, t in posted.items() if k in seen)
    result.screen_events = events
    result.screen_missed = events - len(latencies)
    if latencies:
        result.screen_p50_ms = round(latencies[len(latencies) // 2], 1)
        result.screen_p95_ms = round(latencies[int(len(latencies) * 0.95) - 1], 1)


def measure_live() -> LiveResult:
    result = LiveResult()
    if not settings.REDIS_URL:
        return LiveResult(status="skipped", note="needs Redis (REDIS_URL)")
    agents = list(User.objects.filter(role="standard", is_active=True).order_by("pk")[:50])
    admin = User.objects.filter(role="admin").order_by("pk").first()
    cookies = session_cookies(agents)
    port = free_port()
    with server(port, {"BENCH_COUNT_QUERIES": QUERY_COUNTER}) as process:
        measure_idle(port, process, cookies, result)
    with server(port) as process:
        measure_many(port, process, cookies, result)
    measure_resume(free_port(), admin, result)
    try:
        measure_screen(result)
    except Exception as error:  # the other figures stand; the table says why this one is not
        result.screen_note = f"{type(error).__name__}: {error}"
    return result

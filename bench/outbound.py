"""Outbound: messages per second from "agent clicks send" to "provider accepted".

Many agents click send at once: ``agents`` processes each sign in as an agent and post the
compose form (Django's test client through the whole view: session, permission, the
conversation look-up, ``message_send``, the redirect), one click after the other as fast as
the answers come. Real Celery workers (the broker of ``CELERY_BROKER_URL``) deliver them
through the Twilio adapter and SDK to the Twilio-compatible server of the tests, on loopback,
which answers each create after ``latency`` (the real API's round trip). "Accepted" is the
moment the worker has stored the provider's SID.

Each latency runs two cases:
- *spread*: each agent in their own conversations, over many sender IDs paced at a short
  code's rate, so per-sender pacing is not what bounds the run;
- *one sender*: every agent on one shared sender ID, paced at ``paced_rate`` segments a
  second as Twilio requires; that rate bounds the run by design.

Besides the end-to-end rate, each run reports the click rate the agents saw, the provider's
request rate, the bounds we know of (worker threads / latency; the sender IDs' pacing), the
CPU used, and which of them the run met.
"""

import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import connections
from django.db.models import Count, Q
from django.urls import reverse

from inbox.models import Channel, Conversation, Message, MessageStatus, SenderId, User
from tests.support.fake_twilio import FakeTwilio

from .load import ROOT, cpu_times
from .pages import signed_in
from .webhook import ACCOUNT_SID, AUTH_TOKEN

SHORT_CODE_RATE = 100
# A run is bound by a limit when it reaches this share of it.
NEAR_LIMIT = 0.85


@dataclass(frozen=True)
class Agent:
    """One agent process: who signs in, the compose URLs they post to, how many clicks."""

    username: str
    send_urls: list[str]
    clicks: int


@dataclass
class OutboundRun:
    case: str
    latency_ms: float
    agents: int
    sender_ids: int
    worker_processes: int
    worker_threads: int  # in all processes together
    messages: int = 0
    accepted_per_second: float | None = None
    clicks_per_second: float | None = None
    unsent_when_clicks_ended: int = 0
    provider_requests: int = 0
    provider_requests_per_second: float | None = None
    bounds: dict[str, float] = field(default_factory=dict)
    limit: str = ""
    cpu_busy: float | None = None
    worker_cpu_ms_per_message: float | None = None
    click_cpu_ms: float | None = None
    click_statuses: dict[str, int] = field(default_factory=dict)
    status: str = "ok"
    note: str = ""


def flush_broker() -> None:
    """Empty the bench's broker database so no task outlives a run."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def start_worker(
    env: dict[str, str],
    threads: int,
    number: int,
    *,
    queues: str = "default",
    beat_schedule: str | None = None,
) -> subprocess.Popen:
    """A Celery worker process of ``threads`` threads; with ``beat_schedule`` (a file), its
    own beat runs the periodic tasks too."""
    command = [
        sys.executable, "-m", "celery", "-A", "converse", "worker", "--pool=threads",
        f"--concurrency={threads}", "--loglevel=WARNING", "--without-gossip",
        "--without-mingle", "--without-heartbeat", "-Q", queues, "-n", f"bench{number}@%h",
    ]  # fmt: skip
    if beat_schedule:
        command += ["-B", "-s", beat_schedule]
    return subprocess.Popen(command, cwd=ROOT, env=os.environ | env)


def sendable(conversations):
    """SMS conversations whose customer has not opted out."""
    return conversations.filter(
        sender_id__channel=Channel.SMS, contact__sms_opted_out_at__isnull=True
    ).order_by("pk")


def send_url(public_id: str) -> str:
    return reverse("inbox:send", args=[public_id])


def spread_case(agents: int, count: int) -> tuple[list[Agent], set[int]]:
    """``agents`` agents, each in their own conversations, over every sender ID they use."""
    chosen = User.objects.filter(role="standard", is_active=True).order_by("username")[:agents]
    out, senders = [], set()
    for n, agent in enumerate(chosen):
        rows = list(sendable(Conversation.objects.filter(owner=agent)).values_list(
            "public_id", "sender_id"
        )[:200])  # fmt: skip
        if not rows:
            raise SystemExit(f"{agent.username} has no SMS conversation to reply in")
        senders |= {sender for _, sender in rows}
        clicks = count // agents + (n < count % agents)
        out.append(Agent(agent.username, [send_url(pid) for pid, _ in rows], clicks))
    SenderId.objects.filter(pk__in=senders).update(
        rate_per_second=SHORT_CODE_RATE, next_send_at=None
    )
    return out, senders


def one_sender_case(agents: int, count: int, rate: float) -> tuple[list[Agent], set[int]]:
    """``agents`` processes of the agents sharing one SMS sender ID, all on its conversations."""
    line = (
        SenderId.objects.filter(channel=Channel.SMS, owner__isnull=True, team__isnull=True)
        .exclude(shared_with=None)
        .order_by("pk")
        .first()
    )
    sharers = list(line.shared_with.order_by("username").values_list("username", flat=True))
    urls = [
        send_url(pid)
        for pid in sendable(line.conversations.all()).values_list("public_id", flat=True)
    ]
    SenderId.objects.filter(pk=line.pk).update(rate_per_second=rate, next_send_at=None)
    return [
        Agent(
            sharers[n % len(sharers)],
            urls[n::agents] or urls,
            count // agents + (n < count % agents),
        )
        for n in range(agents)
    ], {line.pk}


def _click(client, url: str, key: str, n: int) -> int:
    response = client.post(url, {"body": f"Benchmark reply {n}", "idempotency_key": key})
    return response.status_code


def _agent_process(agent: Agent, tag: str, number: int, ready, go, out) -> None:
    """Sign in, click once to warm up, wait for the start, click ``agent.clicks`` times."""
    client = signed_in(agent.username)
    ready.put(_click(client, agent.send_urls[0], f"{tag}w-{number}", 0))
    go.wait()
    statuses: Counter[str] = Counter()
    cpu = time.process_time()
    for seq in range(agent.clicks):
        url = agent.send_urls[seq % len(agent.send_urls)]
        statuses[str(_click(client, url, f"{tag}t-{number}-{seq}", seq))] += 1
    out.put((dict(statuses), time.time(), time.process_time() - cpu))
    connections.close_all()


def wait_accepted(prefix: str, expected: int, timeout: float) -> float:
    """Wait until ``expected`` messages keyed ``prefix…`` have a provider SID; return when.

    One light query every 50 ms: the run is measured to the first poll that sees it done.
    """
    deadline = time.monotonic() + timeout
    while True:
        counts = Message.objects.filter(idempotency_key__startswith=prefix).aggregate(
            accepted=Count("pk", filter=Q(provider_sid__isnull=False)),
            failed=Count("pk", filter=Q(status=MessageStatus.FAILED)),
        )
        if counts["accepted"] >= expected:
            return time.time()
        if counts["failed"]:
            raise RuntimeError(f"{counts['failed']} sends failed (see their error_reason)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expected - counts['accepted']} of {expected} sends not accepted")
        time.sleep(0.05)


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds used by process ``pid`` so far; 0 off Linux."""
    if not os.path.exists(f"/proc/{pid}/stat"):
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_case(
    result: OutboundRun, agents: list[Agent], api: FakeTwilio, workers: list[subprocess.Popen]
) -> OutboundRun:
    """Start the agents together, wait until every click is accepted, fill in ``result``."""
    tag = f"ob{time.time_ns():x}"
    context = multiprocessing.get_context("fork")
    ready, out, go = context.Queue(), context.Queue(), context.Event()
    connections.close_all()  # the agents are forked from here
    processes = [
        context.Process(target=_agent_process, args=(a, tag, n, ready, go, out))
        for n, a in enumerate(agents)
    ]
    for p in processes:
        p.start()
    try:
        warmups = [ready.get(timeout=120) for _ in processes]
        if set(warmups) != {302}:
            raise RuntimeError(f"warm-up clicks answered {warmups}, not redirects")
        wait_accepted(f"{tag}w-", len(agents), timeout=120)  # the worker is up and warm
        expected = sum(a.clicks for a in agents)
        machine, worker_cpu = cpu_times(), sum(process_cpu_seconds(w.pid) for w in workers)
        started = time.time()
        go.set()
        finished = wait_accepted(f"{tag}t-", expected, timeout=600)
        busy, total = (b - a for a, b in zip(machine, cpu_times(), strict=True))
        worker_cpu = sum(process_cpu_seconds(w.pid) for w in workers) - worker_cpu
        reports = [out.get(timeout=60) for _ in processes]
    finally:
        go.set()
        for p in processes:
            p.join(timeout=60)
    statuses: Counter[str] = Counter()
    for report in reports:
        statuses.update(report[0])
    creates = [r.at for r in api.creates if r.at >= started]
    result.messages = expected
    result.click_statuses = dict(statuses)
    result.accepted_per_second = round(expected / (finished - started), 1)
    clicks_ended = max(r[1] for r in reports)
    result.clicks_per_second = round(expected / (clicks_ended - started), 1)
    result.unsent_when_clicks_ended = expected - sum(1 for at in creates if at <= clicks_ended)
    result.click_cpu_ms = round(1000 * sum(r[2] for r in reports) / expected, 2)
    result.provider_requests = len(creates)
    if len(creates) > 1:
        result.provider_requests_per_second = round(len(creates) / (max(creates) - started), 1)
    result.cpu_busy = round(busy / total, 2) if total else None
    result.worker_cpu_ms_per_message = round(1000 * worker_cpu / expected, 2)
    if statuses.get("302") != expected or len(creates) != expected:
        result.status = "error"
        result.note = f"clicks {dict(statuses)}, provider creates {len(creates)} for {expected}"
    result.limit = verdict(result)
    return result


def verdict(run: OutboundRun) -> str:
    """Which known bound the run met, or, when it met none, that we are the limit."""
    if run.bounds:
        name, bound = min(run.bounds.items(), key=lambda item: item[1])
        if run.accepted_per_second >= NEAR_LIMIT * bound:
            return name
    # Delivery that kept up with the clicks has little more than its threads' worth in hand.
    side = (
        "agent side (send view)"
        if run.unsent_when_clicks_ended <= 2 * run.worker_threads
        else "delivery (Celery worker)"
    )
    saturated = " on a saturated CPU" if (run.cpu_busy or 0) >= 0.9 else ""
    return f"us: {side}{saturated}"


def measure_outbound(
    *,
    count: int,
    agents: int,
    processes: int,
    threads: int,
    latencies_ms: list[float],
    paced_rate: float,
) -> list[OutboundRun]:
    """``processes`` Celery workers of ``threads`` threads each deliver every run."""
    flush_broker()
    api = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": api.url,
    }
    workers = [start_worker(env, threads, n) for n in range(processes)]
    slots = processes * threads
    runs: list[OutboundRun] = []
    try:
        for latency_ms in latencies_ms:
            api.latency = latency_ms / 1000
            provider = (
                {"provider (worker threads / latency)": slots / api.latency} if api.latency else {}
            )
            cases = [
                ("spread", spread_case(agents, count), SHORT_CODE_RATE),
                (
                    f"one sender, {paced_rate:g}/s",
                    one_sender_case(agents, count, paced_rate),
                    paced_rate,
                ),
            ]
            for name, (case_agents, senders), rate in cases:
                run = OutboundRun(
                    name, latency_ms, len(case_agents), len(senders), processes, slots
                )
                # Benchmark replies are one segment: a sender ID sends ``rate`` of them a second.
                run.bounds = provider | {"sender pacing": rate * len(senders)}
                runs.append(run_case(run, case_agents, api, workers))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        flush_broker()
        api.stop()
    return runs

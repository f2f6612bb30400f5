"""Concurrent load on this machine: gunicorn serving Converse, HTTP clients, raw inserts.

Clients are processes (not threads) so that the client side is not limited by one
interpreter lock; they share the machine's cores with the server, as a real same-host
benchmark does. Every load runs for a fixed time and counts what succeeded.
"""

import http.client
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# (worker number, sequence number) → (method, path, body, headers)
RequestMaker = Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]]


@dataclass(frozen=True)
class LoadResult:
    per_second: float
    done: int
    seconds: float
    concurrency: int
    statuses: dict[str, int]
    # CPU milliseconds the whole machine spent per request, and the part the load's own
    # clients spent: what a request costs the server is the difference.
    cpu_ms: float | None = None
    client_cpu_ms: float | None = None


def cpu_times() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine since boot; (0, 0) off Linux. The
    bench assumes it has the machine to itself: anything else running counts as its own."""
    if not os.path.exists("/proc/stat"):
        return 0, 0
    with open("/proc/stat") as stat:
        user, nice, system, idle, iowait, irq, softirq, steal = (
            int(v) for v in stat.readline().split()[1:9]
        )  # guest time is part of user time already
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal


def _children_cpu_seconds() -> float:
    """CPU seconds of this process's children that have ended (the load's clients)."""
    times = os.times()
    return times.children_user + times.children_system


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def answers(port: int, path: str) -> bool:
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False


@contextmanager
def gunicorn(*, port: int, workers: int, env: dict[str, str]) -> Iterator[int]:
    """Serve Converse (with the bench's URLconf) on loopback ``port``; yield the port."""
    command = [
        sys.executable, "-m", "gunicorn", "converse.wsgi:application",
        "--bind", f"{HOST}:{port}", "--workers", str(workers), "--worker-class", "sync",
        "--log-level", "warning", "--timeout", "60",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=os.environ | env)
    try:
        wait_for(lambda: answers(port, "/bench/bare"), timeout=60, what="gunicorn")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _client(port: int, make: RequestMaker, worker: int, start: float, stop: float, out) -> None:
    statuses: Counter[str] = Counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    seq = 0
    while time.time() < start:
        time.sleep(0.001)
    while time.time() < stop:
        method, path, body, headers = make(worker, seq)
        seq += 1
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            response.read()
            statuses[str(response.status)] += 1
        except (OSError, http.client.HTTPException) as error:
            statuses[type(error).__name__] += 1
            conn.close()
    out.put(dict(statuses))


def _inserter(dsn: str, start: float, stop: float, out) -> None:
    done = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.time() < start:
            time.sleep(0.001)
        while time.time() < stop:
            conn.execute("INSERT INTO bench_scratch (body) VALUES (%s)", ("hello",))
            done += 1
    out.put({"201": done})


def _run_processes(target, args_for: Callable[[int], tuple], concurrency: int, seconds: float):
    """Start ``concurrency`` processes together for ``seconds``; sum their status counts."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start = time.time() + 1.0
    stop = start + seconds
    processes = [
        context.Process(target=target, args=(*args_for(n), start, stop, out))
        for n in range(concurrency)
    ]
    machine, clients = cpu_times()[0], _children_cpu_seconds()
    for p in processes:
        p.start()
    statuses: Counter[str] = Counter()
    for _ in processes:
        statuses.update(out.get(timeout=seconds + 120))
    for p in processes:
        p.join()
    # The clients wait for a common start and stop together: the machine's CPU over the
    # whole span, start-up and hand-over included, is near enough the load's.
    busy = (cpu_times()[0] - machine) / os.sysconf("SC_CLK_TCK")
    client_seconds = _children_cpu_seconds() - clients
    done = sum(n for status, n in statuses.items() if status.startswith("2"))
    return LoadResult(
        per_second=round(done / seconds, 1),
        done=done,
        seconds=seconds,
        concurrency=concurrency,
        statuses=dict(statuses),
        cpu_ms=round(busy / done * 1000, 3) if done and busy else None,
        client_cpu_ms=round(client_seconds / done * 1000, 3) if done else None,
    )


def http_load(port: int, make: RequestMaker, *, concurrency: int, seconds: float) -> LoadResult:
    return _run_processes(_client, lambda n: (port, make, n), concurrency, seconds)


def bare_view(worker: int, seq: int):
    return "GET", "/bench/bare", None, {}


def insert_load(dsn: str, *, concurrency: int, seconds: float) -> LoadResult:
    """Single-row INSERT transactions (autocommit, so each one commits) into a scratch table."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_scratch")
        conn.execute(
            "CREATE TABLE bench_scratch (id bigserial PRIMARY KEY, body text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    try:
        return _run_processes(_inserter, lambda n: (dsn,), concurrency, seconds)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE bench_scratch")

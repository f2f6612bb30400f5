"""Real Celery workers for tests: separate processes on Redis, sharing the test database."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def require_redis_and_postgres() -> None:
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs Redis: set REDIS_URL (the suite is on the filesystem broker)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the workers are started on its test database")


def worker_environment(**env: str) -> dict[str, str]:
    """The environment of a worker on the test database and broker, with ``env`` added."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **env,
    }


@contextmanager
def running_worker(**env: str) -> Iterator[subprocess.Popen]:
    """A ``celery worker --pool=solo`` on the test database and broker, with ``env`` added,
    for the ``with`` block; stopped at its end unless it is gone already (killed by a test)."""
    environment = worker_environment(**env)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "converse", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT,
        env=environment,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


@contextmanager
def running_mail_watcher(**env: str) -> Iterator[subprocess.Popen]:
    """``manage.py watch_mailboxes`` on the test database, with ``env`` added, for the
    ``with`` block; stopped at its end unless it is gone already (killed by a test)."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "watch_mailboxes", "--scan-seconds", "0.5"],
        cwd=ROOT,
        env=worker_environment(**env),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)

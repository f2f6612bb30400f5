"""A real Celery worker, on Redis, sends a message end to end (no broker stand-in)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from converse.celery import app as celery_app
from inbox.models import Contact, Conversation, MessageStatus
from inbox.services.sending import message_send

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs Redis: set REDIS_URL (the suite is on the filesystem broker)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a worker process cannot share SQLite's in-memory test db")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SIMULATOR_STATUS_DELAY": "0.2",
    }
    celery_app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "converse",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    yield process
    process.terminate()
    process.wait(timeout=20)


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_real_worker_sends_a_message_and_the_simulator_reports_delivery(
    worker, alice, alice_line
):
    conversation = Conversation.objects.create(
        contact=Contact.objects.create(phone_e164="+12025550123"), sender_id=alice_line
    )
    message = message_send(conversation=conversation, author=alice, body="Through Redis")
    assert message.status == MessageStatus.QUEUED

    def delivered() -> bool:
        message.refresh_from_db()
        return message.status == MessageStatus.DELIVERED

    assert wait_for(delivered), f"message stuck in {message.status}"
    assert message.provider_sid.startswith("SM")
    assert message.sent_at <= message.delivered_at

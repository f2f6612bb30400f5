"""Live events cross web processes through Redis: two uvicorn processes on the test
database, a tab's stream held by one, the change made through the other."""

import re
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.conf import settings
from django.test import Client

from inbox.services.notes import note_add

from .conftest import receive
from .support.workers import ROOT, require_redis_and_postgres, worker_environment

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_web_processes():
    require_redis_and_postgres()
    env = worker_environment(
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="0",
    )
    ports = [free_port(), free_port()]
    command = [sys.executable, "-m", "uvicorn", "converse.asgi:application", "--log-level",
               "warning", "--timeout-graceful-shutdown", "1", "--port"]  # fmt: skip
    processes = [subprocess.Popen([*command, str(port)], cwd=ROOT, env=env) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    deadline = time.monotonic() + 30
    for url in urls:
        while True:
            try:
                requests.get(f"{url}/accounts/login/", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "a web process did not start"
                time.sleep(0.2)
    yield urls
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def signed_in(url: str, user) -> requests.Session:
    """A session of ``user``'s (made here, kept in the shared database)."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    name = settings.SESSION_COOKIE_NAME
    session.cookies.set(name, client.cookies[name].value, domain="127.0.0.1")
    return session


def listen(session: requests.Session, url: str, heard: list[str], until: str) -> None:
    with session.get(f"{url}/live/stream/", stream=True, timeout=20) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            heard.append(line)
            if line == f"event: {until}":
                return


def test_an_event_made_through_one_web_process_reaches_a_stream_held_by_the_other(
    two_web_processes, alice, bob, shared_line
):
    first, second = two_web_processes
    conversation = receive(shared_line, "+12025550123", "Hello?").conversation
    heard: list[str] = []
    listener = threading.Thread(
        target=lambda: listen(signed_in(first, bob), first, heard, until="presence")
    )
    listener.start()
    deadline = time.monotonic() + 20
    while "event: ready" not in heard:
        assert time.monotonic() < deadline, heard
        time.sleep(0.05)

    # A change recorded by a third process (as a worker would) wakes the first one.
    note_add(conversation=conversation, author=alice, body="From elsewhere")
    # Presence, never stored, goes from the second process to the first through Redis.
    alice_session = signed_in(second, alice)
    page = alice_session.get(f"{second}/c/{conversation.public_id}/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
    beat = alice_session.post(
        f"{second}/c/{conversation.public_id}/presence/",
        data={"typing": "1"},
        headers={"X-CSRFToken": token, "Referer": f"{second}/"},
    )
    assert beat.status_code == 200
    listener.join(timeout=20)
    assert not listener.is_alive(), heard
    assert "event: change" in heard
    assert f'data: {{"k":["note"],"c":["{conversation.public_id}"]}}' in heard

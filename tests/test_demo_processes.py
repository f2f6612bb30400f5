"""The demo's own processes (``make run``): a worker that comes back when it dies, a broker
that never hands it half a message, and pages that say when no worker is answering."""

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from queue import Empty

import pytest
import time_machine
from django.utils import timezone
from kombu import Connection

from converse.run_demo import demo_site, keep_running
from inbox.services.heartbeat import worker_heartbeat_record
from tests.support.workers import wait_for

ROOT = Path(__file__).resolve().parent.parent


def test_a_worker_that_stops_is_started_again(tmp_path):
    runs = tmp_path / "runs"
    command = [sys.executable, "-c", f"open({str(runs)!r}, 'a').write('x')"]
    stop = threading.Event()
    said = []
    supervisor = threading.Thread(
        target=keep_running,
        args=(command,),
        kwargs={"stop": stop, "delay": 0.1, "say": said.append},
    )
    supervisor.start()
    try:
        assert wait_for(lambda: runs.exists() and len(runs.read_text()) >= 3, timeout=60)
    finally:
        stop.set()
        supervisor.join(timeout=30)
    assert not supervisor.is_alive()
    assert said[0] == "The worker stopped (exit 0); starting it again in 0.1 s."


def test_what_a_stopped_worker_left_running_is_ended_before_the_next_starts(tmp_path):
    """A worker killed outright leaves its embedded beat behind (as a child of nobody)."""
    left = tmp_path / "left-behind"
    orphan = f"import os, time; open({str(left)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    command = [
        sys.executable, "-c",
        f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {orphan!r}])",
    ]  # fmt: skip
    stop = threading.Event()
    supervisor = threading.Thread(
        target=keep_running, args=(command,), kwargs={"stop": stop, "delay": 5, "say": print}
    )
    supervisor.start()
    try:
        assert wait_for(lambda: left.exists() and left.read_text(), timeout=60)
        pid = int(left.read_text())
        assert wait_for(lambda: not _alive(pid), timeout=10)
    finally:
        stop.set()
        supervisor.join(timeout=30)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of ours is gone once its parent (init, for an orphan) reaps it.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_stopping_the_demo_stops_a_running_worker(tmp_path):
    stop = threading.Event()
    started = []
    supervisor = threading.Thread(
        target=keep_running,
        args=([sys.executable, "-c", "import time; time.sleep(600)"],),
        kwargs={"stop": stop, "say": started.append},
    )
    supervisor.start()
    stop.set()
    supervisor.join(timeout=30)
    assert not supervisor.is_alive() and started == []


def filesystem_channel(folder: Path):
    connection = Connection(
        "filesystem://",
        transport="converse.filesystem_broker:Transport",
        transport_options={"data_folder_in": str(folder), "data_folder_out": str(folder)},
    )
    return connection, connection.default_channel


def test_a_message_being_written_is_never_taken_by_the_worker(tmp_path, monkeypatch):
    connection, channel = filesystem_channel(tmp_path)
    seen_while_writing = []
    rename = os.replace

    def worker_looks_then_rename(source, target):
        try:
            seen_while_writing.append(channel._get("default"))
        except Empty:
            seen_while_writing.append("nothing")
        rename(source, target)

    monkeypatch.setattr(os, "replace", worker_looks_then_rename)
    channel._put("default", {"body": "Hello"})

    assert seen_while_writing == ["nothing"]
    assert channel._get("default") == {"body": "Hello"}
    connection.release()


def test_the_demo_without_redis_uses_the_whole_message_broker(tmp_path):
    environment = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}},
        "DJANGO_SETTINGS_MODULE": "converse.settings",
        "DEBUG": "1",
        "CONVERSE_VAR_DIR": str(tmp_path),
    }
    shown = subprocess.run(
        [sys.executable, "-c", "from converse.celery import app; "
         "print(type(app.connection_for_write().transport).__module__)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "converse.filesystem_broker"


def test_pages_say_so_when_no_worker_has_beaten_for_a_while(client, alice):
    client.force_login(alice)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert b"No background worker" not in client.get("/").content
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert b"No background worker" not in client.get("/").content
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert b"No background worker has answered for 5 min" in client.get("/").content
        worker_heartbeat_record(worker="celery@demo", at=timezone.now())
        assert b"No background worker" not in client.get("/").content
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        assert b"No background worker has answered for 2 min" in client.get("/").content


def test_a_shared_cache_that_cannot_answer_costs_the_line_not_the_page(
    client, alice, unwritable_shared_cache
):
    client.force_login(alice)
    worker_heartbeat_record(worker="celery@demo", at=timezone.now())

    page = client.get("/")

    assert page.status_code == 200 and b"No background worker" not in page.content


def test_the_demo_website_loads_the_chat_from_where_converse_listens():
    """``make run PORT=8055``: the demo website's page names Converse on 8055, so its chat
    loads; the page is all it serves."""
    site = demo_site("127.0.0.1", 0, converse_url="http://127.0.0.1:8055")
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        root = f"http://127.0.0.1:{site.server_address[1]}"
        page = urllib.request.urlopen(f"{root}/").read().decode()
        assert '<script src="http://127.0.0.1:8055/webchat/widget.js"' in page
        assert 'href="http://127.0.0.1:8055/"' in page and ":8000" not in page
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{root}/../manage.py")
        assert missing.value.code == 404
    finally:
        site.shutdown()

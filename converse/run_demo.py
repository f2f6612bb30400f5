"""``make run``'s processes: the web process under uvicorn (ASGI, so each open tab holds its
live stream; static files come through WhiteNoise as in production), beside it a Celery
worker with beat and the mail watcher (``manage.py watch_mailboxes``: the demo mailbox over
IMAP IDLE), each started again whenever it stops, so a demo never sits with its sends queued
behind a dead worker, the demo website showing the web chat
(``demo/webchat/``) on a second origin (``DEMO_SITE_PORT``, 8001), and the demo mail servers
(``converse/demo_mail.py``: IMAP on ``DEMO_IMAP_PORT``, 1143, SMTP on ``DEMO_SMTP_PORT``,
1025, on 127.0.0.1 only) holding the demo mailbox. Ctrl-C (or SIGTERM) stops them all."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RESTART_DELAY_SECONDS = 2.0
DEMO_SITE = Path(__file__).resolve().parent.parent / "demo" / "webchat"
DEMO_SITE_NAMES = "http://127.0.0.1:8000"  # Converse, as the demo page names it
DEMO_MAIL = [sys.executable, "-m", "converse.demo_mail"]
WORKER = [
    sys.executable, "-m", "celery", "-A", "converse", "worker", "--beat", "--pool=solo",
    "--loglevel=INFO",
    f"--schedule={os.environ.get('CONVERSE_VAR_DIR', 'var')}/celerybeat-schedule",
]  # fmt: skip
MAIL_WATCHER = [sys.executable, "manage.py", "watch_mailboxes"]
# Kept running beside the web process, each by its name in what the terminal says.
SUPERVISED = (("worker", WORKER), ("mail watcher", MAIL_WATCHER))


def keep_running(
    command: Sequence[str],
    *,
    stop: threading.Event,
    delay: float = RESTART_DELAY_SECONDS,
    say: Callable[[str], object] = print,
    name: str = "worker",
) -> None:
    """Run ``command`` until ``stop`` is set, starting it again ``delay`` seconds after each
    exit; when ``stop`` is set, the running one is asked to stop, then killed after 20 s.

    Each run is a process group of its own, ended whole: a worker killed outright leaves
    its embedded beat behind, which would go on scheduling beside the next one's."""
    while not stop.is_set():
        process = subprocess.Popen(command, start_new_session=True)
        while process.poll() is None:
            if stop.wait(0.5):
                _end_group(process.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=20)
                _end_group(process.pid, signal.SIGKILL)
                return
        _end_group(process.pid, signal.SIGKILL)  # what it left running
        if stop.is_set():
            return
        say(f"The {name} stopped (exit {process.returncode}); starting it again in {delay:g} s.")
        stop.wait(delay)


def _end_group(group: int, how: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, how)


def web_command(host: str, port: str) -> list[str]:
    """The web process: one uvicorn process, whose open streams end within 3 s of Ctrl-C."""
    return [
        sys.executable, "-m", "uvicorn", "converse.asgi:application",
        "--host", host, "--port", port, "--timeout-graceful-shutdown", "3", "--no-access-log",
    ]  # fmt: skip


def demo_site(host: str, port: int, *, converse_url: str) -> ThreadingHTTPServer:
    """The demo website (``demo/webchat/index.html``) on its own origin, its chat loaded
    from ``converse_url``: the page names ``http://127.0.0.1:8000``, what ``make run``
    serves by default; another ``PORT`` is written in its place."""
    page = (DEMO_SITE / "index.html").read_text().replace(DEMO_SITE_NAMES, converse_url).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):  # the terminal shows the inbox's processes only
            pass

    return ThreadingHTTPServer((host, port), Page)


def _reachable(host: str) -> str:
    """Where a browser on this machine finds a server bound to ``host``."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    site_port = int(os.environ.get("DEMO_SITE_PORT", "8001"))
    browsed = _reachable(host)
    # The page a browser is sent to names Converse where it listens (``PORT``).
    site = demo_site(host, site_port, converse_url=f"http://{browsed}:{port}")
    threading.Thread(target=site.serve_forever, daemon=True).start()
    print(f"The demo website with the chat: http://{browsed}:{site_port}/")
    # It says where it listens; a port already taken is said there too, and the rest runs on.
    mail = subprocess.Popen(DEMO_MAIL)
    stop = threading.Event()
    supervisors = [
        threading.Thread(target=keep_running, args=(command,), kwargs={"stop": stop, "name": name})
        for name, command in SUPERVISED
    ]
    for supervisor in supervisors:
        supervisor.start()
    # SIGTERM ends the server as Ctrl-C does, so the worker is stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        subprocess.call(web_command(host, port))
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        site.shutdown()
        mail.terminate()
        for supervisor in supervisors:
            supervisor.join()


if __name__ == "__main__":
    main()

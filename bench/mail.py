"""E-mail figures: how fast a mailbox's backlog is read, and how long a mail takes from its
arrival at the IMAP server to the inbox.

Both run against a dovecot of their own on loopback (``tests.support.mail_servers``); without
dovecot installed the section says so and measures nothing.

- **pick-up**: ``--mails`` new mails (10,000) put in one mailbox, then read by one worker from
  the start (``mailbox_read``): mails stored per second.
- **latency**: mails arriving one at a time at random moments while a reader polls every
  ``MAILBOX_POLL_SECONDS``, as beat does; from each mail's APPEND to its message row. The
  agent's screen shows it on its next live refresh (``LIVE_POLL_SECONDS``, or at once over
  push): the goal is p95 within the poll interval plus 1 s.
- **latency over IDLE**: the same, while the mail watcher holds the mailbox over IMAP IDLE
  (``channels_email.watch``): the goal is p95 within 1 s (no interval to wait for).
"""

import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate

from django.conf import settings
from django.db import connection

from channels_email.imap import mailbox_read
from channels_email.models import Mailbox, Security
from channels_email.parse import mail_sid
from channels_email.secrets import password_encrypt
from channels_email.watch import mailbox_watch
from inbox.models import Channel, Message, SenderId
from tests.support.mail_servers import PASSWORD, Dovecot, dovecot_binary


@dataclass
class MailRun:
    status: str = "ok"
    note: str = ""
    mails: int = 0
    seconds: float = 0.0
    per_second: float = 0.0
    latency_samples: int = 0
    poll_seconds: float = 0.0
    latency_p50: float = 0.0
    latency_p95: float = 0.0
    goal_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    idle_samples: int = 0
    idle_p50: float = 0.0
    idle_p95: float = 0.0
    idle_goal_seconds: float = 1.0
    idle_latencies: list[float] = field(default_factory=list)


def _mail(n: int, to: str, tag: str) -> bytes:
    return (
        f"From: Customer {n} <customer{n}@bench.test>\r\nTo: {to}\r\n"
        f"Subject: Question {n}\r\nDate: {formatdate()}\r\n"
        f"Message-ID: <{tag}.{n}@bench.test>\r\n\r\nHello, this is mail {n}.\r\n"
    ).encode()


def _mailbox(dovecot: Dovecot, name: str) -> Mailbox:
    address = f"{name}-{random.randrange(10**9)}@bench.test"
    sender = SenderId.objects.create(channel=Channel.EMAIL, address=address, label=name)
    return Mailbox.objects.create(
        sender=sender,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security=Security.NONE,
        smtp_host="127.0.0.1",
        smtp_port=25,
        smtp_security=Security.NONE,
        username=address,
        password_encrypted=password_encrypt(PASSWORD),
    )


def measure_mail(*, mails: int, arrivals: int = 20) -> MailRun:
    binary = dovecot_binary()
    if binary is None:
        return MailRun(status="skipped", note="dovecot is not installed (dovecot-imapd)")
    dovecot = Dovecot(binary)
    try:
        run = MailRun()
        _pick_up(dovecot, run, mails=mails)
        _latency(dovecot, run, arrivals=arrivals)
        _latency_idle(dovecot, run, arrivals=arrivals)
        return run
    finally:
        dovecot.stop()


def _pick_up(dovecot: Dovecot, run: MailRun, *, mails: int) -> None:
    mailbox = _mailbox(dovecot, "backlog")
    conn = dovecot.connect(mailbox.sender.address)
    tag = f"b{random.randrange(10**9)}"
    for n in range(mails):
        conn.append("INBOX", None, None, _mail(n, mailbox.sender.address, tag))
    conn.logout()
    started = time.perf_counter()
    run.mails = mailbox_read(mailbox.pk)
    run.seconds = round(time.perf_counter() - started, 2)
    run.per_second = round(run.mails / run.seconds, 1) if run.seconds else 0.0


def _arrivals(dovecot: Dovecot, mailbox: Mailbox, *, arrivals: int, spread: float) -> list:
    """Deliver ``arrivals`` mails, one at a random moment within each ``spread`` seconds;
    return the sorted seconds from each mail's APPEND to its message row."""
    tag = f"l{random.randrange(10**9)}"
    sent: dict[str, float] = {}
    for n in range(arrivals):
        time.sleep(random.uniform(0, spread))
        sent[mail_sid(f"{tag}.{n}@bench.test")] = time.time()
        dovecot.deliver(mailbox.sender.address, _mail(n, mailbox.sender.address, tag))
    deadline = time.monotonic() + spread * 3 + 10
    while time.monotonic() < deadline:
        if Message.objects.filter(provider_sid__in=sent).count() == len(sent):
            break
        time.sleep(0.05)
    # Each mail comes from a customer of its own: its conversation changed when it was stored.
    stored_at = {
        sid: changed.timestamp()
        for sid, changed in Message.objects.filter(provider_sid__in=sent).values_list(
            "provider_sid", "conversation__changed_at"
        )
    }
    return sorted(round(stored_at[s] - sent[s], 3) for s in stored_at)


def _p95(latencies: list[float]) -> float:
    return round(latencies[int(0.95 * (len(latencies) - 1))], 2)


def _latency(dovecot: Dovecot, run: MailRun, *, arrivals: int) -> None:
    mailbox = _mailbox(dovecot, "latency")
    poll = float(settings.MAILBOX_POLL_SECONDS)
    stop = threading.Event()

    def reader() -> None:  # beat's schedule: a read every poll interval
        while not stop.is_set():
            mailbox_read(mailbox.pk)
            stop.wait(poll)
        connection.close()  # the thread's own

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        run.latencies = _arrivals(dovecot, mailbox, arrivals=arrivals, spread=poll)
    finally:
        stop.set()
        thread.join(timeout=poll + 30)
    run.latency_samples = len(run.latencies)
    run.poll_seconds = poll
    run.goal_seconds = poll + 1
    if run.latencies:
        run.latency_p50 = round(statistics.median(run.latencies), 2)
        run.latency_p95 = _p95(run.latencies)
    if run.latency_samples < arrivals:
        run.status, run.note = "error", f"{arrivals - run.latency_samples} mails never stored"


def _latency_idle(dovecot: Dovecot, run: MailRun, *, arrivals: int) -> None:
    """Arrivals while a watcher holds the mailbox over IDLE (no poll runs)."""
    mailbox = _mailbox(dovecot, "idle")
    stop, listening = threading.Event(), threading.Event()

    def watcher() -> None:
        try:
            mailbox_watch(
                mailbox.pk, holder="bench", stop=stop.is_set, idling=lambda c: listening.set()
            )
        finally:
            connection.close()  # the thread's own

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    try:
        if not listening.wait(30):
            run.status, run.note = "error", "the watcher never IDLEd"
            return
        spread = float(settings.MAILBOX_POLL_SECONDS)  # the same moments as the poll's
        run.idle_latencies = _arrivals(dovecot, mailbox, arrivals=arrivals, spread=spread)
    finally:
        stop.set()
        thread.join(timeout=60)
    run.idle_samples = len(run.idle_latencies)
    if run.idle_latencies:
        run.idle_p50 = round(statistics.median(run.idle_latencies), 2)
        run.idle_p95 = _p95(run.idle_latencies)
    if run.idle_samples < arrivals:
        run.status, run.note = "error", f"{arrivals - run.idle_samples} mails never stored"


def mail_lines(r: dict) -> list[str]:
    if r["status"] == "skipped":
        return [f"{'mail pick-up':<34} skipped: {r['note']}"]
    verdict = "within" if r["latency_p95"] <= r["goal_seconds"] else "OVER"
    lines = [
        f"{'mail pick-up (IMAP, one worker)':<34} {r['per_second']:>9,.1f}/s  "
        f"({r['mails']:,} new mails read in {r['seconds']} s)",
        f"{'mail arrival → stored':<34} p50 {r['latency_p50']} s, p95 {r['latency_p95']} s "
        f"({r['latency_samples']} mails, poll {r['poll_seconds']:g} s; goal p95 ≤ "
        f"{r['goal_seconds']:g} s: {verdict}; the screen adds its live refresh)",
    ]
    if r.get("idle_samples"):
        idle = "within" if r["idle_p95"] <= r["idle_goal_seconds"] else "OVER"
        lines.append(
            f"{'mail arrival → stored, IMAP IDLE':<34} p50 {r['idle_p50']} s, "
            f"p95 {r['idle_p95']} s ({r['idle_samples']} mails, the mail watcher; goal p95 ≤ "
            f"{r['idle_goal_seconds']:g} s: {idle})"
        )
    if r["status"] != "ok":
        lines.append(f"{'mail':<34} {r['status']}: {r['note']}")
    return lines

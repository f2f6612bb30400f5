"""The mail watcher: new mail within a second, over IMAP IDLE (RFC 2177) where the server
offers it.

``manage.py watch_mailboxes`` (a process of its own beside the Celery worker; ``make run``
starts one) holds one IDLE connection per active mailbox, each in a thread of its own: the
worker's tasks never wait behind a connection that sits open for minutes. A mailbox is held
by one watcher at a time, with a lease in its row (``watched_by``, ``watched_until``) renewed
every third of ``MAILBOX_WATCH_LEASE_SECONDS``: a second watcher leaves it alone, and takes
it over once a watcher that died stops renewing. While the lease holds, beat does not poll
the mailbox; when the server does not offer IDLE, or the connection drops, the lease is let
go and beat's poll (``MAILBOX_POLL_SECONDS``) reads the mailbox again.

Whatever the server announces (``* n EXISTS``), the watcher reads the mailbox as the poll
does (``imap.mailbox_read_over``), over its own connection: from the last UID stored, each
mail stored once by its Message-ID. It IDLEs again every ``MAILBOX_IDLE_SECONDS`` (well
within the 29 minutes after which a server may drop an idle client), reading in between, so
a connection that died silently is noticed then.
"""

import imaplib
import logging
import os
import re
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from .imap import MailboxUnreachable, idle_offered, imap_session, mailbox_read_over
from .models import Mailbox

log = logging.getLogger(__name__)

ANNOUNCES_MAIL = re.compile(rb"^\* \d+ (EXISTS|RECENT)\b", re.IGNORECASE)
# Fields whose change needs a new connection (the watcher notices between two IDLEs).
CONNECTION_FIELDS = ("imap_host", "imap_port", "imap_security", "folder", "username")
TICK_SECONDS = 1.0
# A watcher that failed to connect tries again after this, doubled each time, up to the most.
RETRY_SECONDS, RETRY_MAX_SECONDS = 10.0, 600.0


class Ended(StrEnum):
    """Why a mailbox's watch ended."""

    HELD = "held by another watcher"
    NO_IDLE = "the server does not offer IDLE"
    DROPPED = "the connection failed"
    LOST = "the lease was lost (the mailbox was paused, deleted or taken over)"
    CHANGED = "the mailbox's settings changed"
    STOPPED = "stopped"


class LineReader:
    """What imaplib reads its connection through, in place of its buffered file: the same
    lines and literals, and ``waiting`` says whether the server said something, within a
    timeout, without taking it (a buffered file cannot be asked that)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def waiting(self, timeout: float) -> bool:
        if self.buffer:
            return True
        pending = getattr(self.sock, "pending", None)  # TLS: bytes already decrypted
        if pending is not None and pending():
            return True
        readable, _, _ = select.select([self.sock], [], [], timeout)
        return bool(readable)

    def _take(self, size: int) -> bytes:
        taken = bytes(self.buffer[:size])
        del self.buffer[:size]
        return taken

    def readline(self, limit: int = -1) -> bytes:
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                return self._take(end + 1 if limit < 0 else min(end + 1, limit))
            if 0 <= limit <= len(self.buffer):
                return self._take(limit)
            chunk = self.sock.recv(65536)
            if not chunk:
                return self._take(len(self.buffer))
            self.buffer += chunk

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(max(65536, size - len(self.buffer)))
            if not chunk:
                break
            self.buffer += chunk
        return self._take(size)

    def close(self) -> None:
        self.buffer.clear()


def _line(conn: imaplib.IMAP4) -> bytes:
    line = conn.readline()
    if not line:
        raise imaplib.IMAP4.abort("the server closed the connection")
    if line.startswith(b"* BYE"):
        raise imaplib.IMAP4.abort(line.decode("ascii", "replace").strip())
    return line


def idle(
    conn: imaplib.IMAP4,
    reader: LineReader,
    *,
    seconds: float,
    tick: Callable[[], bool],
    idling: Callable[[], object] = lambda: None,
) -> bool:
    """IDLE on ``conn``'s selected folder for up to ``seconds``; True when the server
    announced new mail. ``tick`` is asked about every second while nothing happens: False
    ends the IDLE early. ``idling`` is told once the server is listening."""
    tag = f"W{uuid.uuid4().hex[:8]}".encode()
    conn.send(tag + b" IDLE\r\n")
    announced = False
    while True:
        line = _line(conn)
        if line.startswith(b"+"):
            break
        if line.startswith(tag + b" "):
            raise imaplib.IMAP4.error(f"IDLE refused: {line.decode('ascii', 'replace').strip()}")
        announced |= bool(ANNOUNCES_MAIL.match(line))
    idling()
    ends = time.monotonic() + seconds
    while not announced and (left := ends - time.monotonic()) > 0:
        if reader.waiting(min(TICK_SECONDS, left)):
            announced = bool(ANNOUNCES_MAIL.match(_line(conn)))
        elif not tick():
            break
    conn.send(b"DONE\r\n")
    while True:
        line = _line(conn)
        if line.startswith(tag + b" "):
            if not line[len(tag) + 1 :].upper().startswith(b"OK"):
                raise imaplib.IMAP4.error(f"IDLE ended badly: {line.decode('ascii', 'replace')}")
            return announced
        announced |= bool(ANNOUNCES_MAIL.match(line))


def _lease() -> timedelta:
    return timedelta(seconds=settings.MAILBOX_WATCH_LEASE_SECONDS)


def lease_claim(mailbox_id: int, holder: str) -> bool:
    """Hold the mailbox for ``holder`` unless another watcher's lease is still running."""
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(
            Q(watched_until__isnull=True) | Q(watched_until__lt=now) | Q(watched_by=holder),
            pk=mailbox_id,
            sender__is_active=True,
        ).update(watched_by=holder, watched_until=now + _lease())
    )


def lease_renew(mailbox_id: int, holder: str) -> bool:
    """Renew ``holder``'s lease; False when it is no longer theirs (lapsed and taken over,
    or the mailbox was paused or deleted)."""
    return bool(
        Mailbox.objects.filter(pk=mailbox_id, watched_by=holder, sender__is_active=True).update(
            watched_until=timezone.now() + _lease()
        )
    )


def lease_release(mailbox_id: int, holder: str) -> None:
    """Let the mailbox go: beat polls it from its next round."""
    Mailbox.objects.filter(pk=mailbox_id, watched_by=holder).update(
        watched_by="", watched_until=None
    )


def _database_fresh() -> None:
    """A thread that lives for hours drops a connection the database closed or that grew
    old, as a request would (not inside a transaction: a test's)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _connection_settings(mailbox_id: int) -> tuple | None:
    return (
        Mailbox.objects.filter(pk=mailbox_id)
        .values_list(*CONNECTION_FIELDS, "password_encrypted")
        .first()
    )


def mailbox_watch(
    mailbox_id: int,
    *,
    holder: str,
    stop: Callable[[], bool],
    idling: Callable[[imaplib.IMAP4], object] = lambda conn: None,
) -> Ended:
    """Keep reading the mailbox as its server announces mail, until ``stop()`` says so,
    the lease is lost, the server turns out not to offer IDLE or the connection fails; the
    lease is let go then. ``idling`` is told each time the server listens (tests)."""
    if not lease_claim(mailbox_id, holder):
        return Ended.HELD
    renew_at = time.monotonic() + settings.MAILBOX_WATCH_LEASE_SECONDS / 3
    lost = False

    def tick() -> bool:
        nonlocal renew_at, lost
        if stop():
            return False
        if time.monotonic() >= renew_at:
            _database_fresh()
            if not lease_renew(mailbox_id, holder):
                lost = True
                return False
            renew_at = time.monotonic() + settings.MAILBOX_WATCH_LEASE_SECONDS / 3
        return True

    try:
        mailbox = Mailbox.objects.select_related("sender").get(pk=mailbox_id)
        known = _connection_settings(mailbox_id)
        with imap_session(mailbox) as conn:
            if not idle_offered(conn):
                log.info("mailbox %s: its server does not offer IDLE; it is polled", mailbox)
                return Ended.NO_IDLE
            conn.file.close()
            conn.file = reader = LineReader(conn.sock)
            while True:
                while mailbox_read_over(mailbox_id, conn) is None:  # a poll reads it now
                    if not tick():
                        break
                    time.sleep(0.1)
                if lost:
                    return Ended.LOST
                if stop():
                    return Ended.STOPPED
                if _connection_settings(mailbox_id) != known:
                    return Ended.CHANGED
                idle(
                    conn,
                    reader,
                    seconds=settings.MAILBOX_IDLE_SECONDS,
                    tick=tick,
                    idling=lambda: idling(conn),
                )
                if lost:  # another reader has the mailbox: what came is theirs to read
                    return Ended.LOST
                _database_fresh()
    except (MailboxUnreachable, imaplib.IMAP4.error, OSError) as failure:
        log.warning("mailbox %s: IDLE connection ended (%s); polled meanwhile", mailbox_id, failure)
        return Ended.DROPPED
    except Mailbox.DoesNotExist:
        return Ended.LOST
    finally:
        lease_release(mailbox_id, holder)


def watcher_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:100]


def mailboxes_watch(*, stop: threading.Event, holder: str = "", scan_seconds: float = 5.0) -> None:
    """Watch every active mailbox no other watcher holds, each in a thread of its own, until
    ``stop`` is set; look for new mailboxes (and ones another watcher let go) every
    ``scan_seconds``."""
    holder = holder or watcher_name()
    threads: dict[int, threading.Thread] = {}
    retry_at: dict[int, float] = {}
    failures: dict[int, int] = {}

    def watch_one(mailbox_id: int) -> None:
        try:
            ended = mailbox_watch(mailbox_id, holder=holder, stop=stop.is_set)
        except Exception:
            log.exception("mailbox %s: the watch failed", mailbox_id)
            ended = Ended.DROPPED
        finally:
            connection.close()
        if ended == Ended.DROPPED:
            failures[mailbox_id] = failures.get(mailbox_id, 0) + 1
            wait = min(RETRY_SECONDS * 2 ** (failures[mailbox_id] - 1), RETRY_MAX_SECONDS)
        else:
            failures.pop(mailbox_id, None)
            wait = settings.MAILBOX_IDLE_RETRY_SECONDS if ended == Ended.NO_IDLE else 0.0
        retry_at[mailbox_id] = time.monotonic() + wait

    log.info("mail watcher %s started", holder)
    while not stop.is_set():
        close_old_connections()
        now = timezone.now()
        free = Mailbox.objects.filter(
            Q(watched_until__isnull=True) | Q(watched_until__lt=now) | Q(watched_by=holder),
            sender__is_active=True,
        ).values_list("pk", flat=True)
        for mailbox_id in free:
            running = threads.get(mailbox_id)
            if running is not None and running.is_alive():
                continue
            if retry_at.get(mailbox_id, 0.0) > time.monotonic():
                continue
            threads[mailbox_id] = thread = threading.Thread(
                target=watch_one, args=(mailbox_id,), name=f"mailbox-{mailbox_id}", daemon=True
            )
            thread.start()
        stop.wait(scan_seconds)
    for thread in threads.values():
        thread.join(timeout=settings.MAILBOX_TIMEOUT_SECONDS + 5)
    connection.close()
    log.info("mail watcher %s stopped", holder)

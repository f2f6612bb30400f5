"""Reading a mailbox's new mail over IMAP (stdlib ``imaplib``), from where it stopped.

The folder is opened read-only and bodies fetched with ``BODY.PEEK``: people reading the
same mailbox in their own client still see the mail as unread. Each mail is stored under
its Message-ID (``ingest``), so reading one twice (two workers, a restart before the cursor
moved, a rebuilt folder) stores it once.
"""

import imaplib
import logging
import re
import ssl
import time
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from .ingest import mail_ingest
from .models import Mailbox, Security
from .secrets import PasswordUnreadable, password_decrypt

log = logging.getLogger(__name__)

FETCH_BATCH = 100
UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
FETCHED_UID = re.compile(rb"UID (\d+)")
ERROR_MAX_LENGTH = Mailbox._meta.get_field("last_error").max_length


class MailboxUnreachable(Exception):
    """The IMAP or SMTP server could not be reached or refused the login; says why."""


@contextmanager
def imap_session(mailbox: Mailbox):
    """A logged-in IMAP connection to ``mailbox``; MailboxUnreachable says what failed."""
    timeout = settings.MAILBOX_TIMEOUT_SECONDS
    try:
        if mailbox.imap_security == Security.TLS:
            conn = imaplib.IMAP4_SSL(
                mailbox.imap_host,
                mailbox.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=timeout,
            )
        else:
            conn = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=timeout)
            if mailbox.imap_security == Security.STARTTLS:
                conn.starttls(ssl.create_default_context())
        conn.login(mailbox.username, password_decrypt(mailbox.password_encrypted))
    except (imaplib.IMAP4.error, OSError, PasswordUnreadable) as error:
        raise MailboxUnreachable(
            f"IMAP {mailbox.imap_host}:{mailbox.imap_port}: {error}"
        ) from error
    try:
        yield conn
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            conn.logout()


def idle_offered(conn: imaplib.IMAP4) -> bool:
    """Whether the logged-in server offers IMAP IDLE (RFC 2177), by its CAPABILITY."""
    _, capabilities = conn.capability()
    return b"IDLE" in b" ".join(c for c in capabilities if c).upper().split()


def mailbox_read(mailbox_id: int) -> int:
    """Store the mail that came to the mailbox since it was last read; return how many mails
    were read. One worker reads a mailbox at a time; another returns 0 at once."""
    return mailbox_read_over(mailbox_id) or 0


def mailbox_read_over(mailbox_id: int, conn: imaplib.IMAP4 | None = None) -> int | None:
    """``mailbox_read`` over ``conn`` (the mail watcher's logged-in connection) or a new
    session; None when another reader holds the mailbox. Over ``conn``, a failure of the
    connection is recorded and raised: the watcher then connects again."""
    now = timezone.now()
    lease = timedelta(seconds=settings.MAILBOX_READ_LEASE_SECONDS)
    claimed = Mailbox.objects.filter(
        Q(reading_until__isnull=True) | Q(reading_until__lt=now), pk=mailbox_id
    ).update(reading_until=now + lease)
    if not claimed:
        return None
    mailbox = Mailbox.objects.select_related("sender").get(pk=mailbox_id)
    read, error, failure = 0, "", None
    try:
        if conn is None:
            with imap_session(mailbox) as session:
                read, left_out = _read_new(session, mailbox, lease=lease)
        else:
            read, left_out = _read_new(conn, mailbox, lease=lease)
        if left_out:
            uids = ", ".join(map(str, left_out))
            error = f"Mail with UID {uids} could not be stored and was left out (see the log)."
    except MailboxUnreachable as unreachable:
        error = str(unreachable)
    except (imaplib.IMAP4.error, OSError) as failed:
        error, failure = f"IMAP {mailbox.imap_host}: {failed}", failed
    if error:
        log.warning("mailbox %s not read: %s", mailbox, error)
    Mailbox.objects.filter(pk=mailbox_id).update(
        reading_until=None, last_read_at=timezone.now(), last_error=error[:ERROR_MAX_LENGTH]
    )
    if failure is not None and conn is not None:
        raise failure
    return read


def _read_new(conn: imaplib.IMAP4, mailbox: Mailbox, *, lease: timedelta) -> tuple[int, list]:
    """Store the folder's new mail; return how many were read and the UIDs of those left out.

    A mail that makes storing it fail (a reading this module did not foresee) is left out
    and logged: the mail after it still comes in. A database failure stops the reading
    instead, to read the same mail again next time."""
    status, said = conn.select(folder_quoted(mailbox.folder), readonly=True)
    if status != "OK":
        raise imaplib.IMAP4.error(
            f"no folder {mailbox.folder} ({b' '.join(said).decode('utf-8', 'replace')})"
        )
    validity = _uid_validity(conn, mailbox.folder)
    if validity != mailbox.uid_validity:
        # A new folder, or one the server rebuilt: its UIDs start again.
        mailbox.uid_validity, mailbox.last_uid = validity, 0
        Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=0)
    _, found = conn.uid("SEARCH", None, f"UID {mailbox.last_uid + 1}:*")
    uids = sorted(u for u in map(int, (found[0] or b"").split()) if u > mailbox.last_uid)
    left_out = []
    for start in range(0, len(uids), FETCH_BATCH):
        batch = uids[start : start + FETCH_BATCH]
        _, data = conn.uid("FETCH", ",".join(map(str, batch)), "(UID INTERNALDATE BODY.PEEK[])")
        for head, raw in _fetched(data):
            uid = int(FETCHED_UID.search(head).group(1))
            arrived = _aware(imaplib.Internaldate2tuple(head))
            try:
                mail_ingest(mailbox=mailbox, raw=raw, uid=uid, arrived_at=arrived)
            except DatabaseError:
                raise
            except Exception:
                log.exception("mail %s in %s could not be stored: left out", uid, mailbox)
                left_out.append(uid)
        mailbox.last_uid = batch[-1]
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_uid=batch[-1], reading_until=timezone.now() + lease
        )
    return len(uids), left_out


def _fetched(data) -> list[tuple[bytes, bytes]]:
    """The (response line, mail) pairs of a FETCH answer, skipping its closing parentheses."""
    return [
        (item[0], item[1])
        for item in data
        if isinstance(item, tuple) and FETCHED_UID.search(item[0])
    ]


def _uid_validity(conn: imaplib.IMAP4, folder: str) -> int:
    _, values = conn.response("UIDVALIDITY")
    if values and values[0]:
        return int(values[0])
    _, status = conn.status(folder_quoted(folder), "(UIDVALIDITY)")
    return int(UIDVALIDITY.search(status[0]).group(1))


def _aware(struct) -> datetime | None:
    """When a mail arrived, from imaplib's local-time tuple of its INTERNALDATE.

    INTERNALDATE counts whole seconds: the mail came during that second, so it is placed at
    the second's end (never after now). A customer's answer that came in the same second
    as our reply is then never shown before it."""
    if struct is None:
        return None
    start = datetime.fromtimestamp(time.mktime(struct), tz=UTC)
    return min(start + timedelta(seconds=1), timezone.now())


def folder_quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

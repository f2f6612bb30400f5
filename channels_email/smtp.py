"""Handing a mail to the mailbox's SMTP server (stdlib ``smtplib``), telling a refusal, a
passing trouble (retried) and an unknown outcome (never retried) apart."""

import email.policy
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage

from django.conf import settings

from inbox.channels import SendError

from .models import Mailbox, Security
from .secrets import PasswordUnreadable, password_decrypt

# SMTP's transparency (RFC 5321 4.5.2): a line of the mail starting with a dot gets another.
LEADING_DOT = re.compile(rb"^\.", re.M)


def smtp_connect(mailbox: Mailbox) -> smtplib.SMTP:
    """A logged-in SMTP connection; SendError (transient) when the server cannot be reached,
    a lasting one when the login is refused."""
    timeout = settings.MAILBOX_TIMEOUT_SECONDS
    try:
        if mailbox.smtp_security == Security.TLS:
            conn = smtplib.SMTP_SSL(
                mailbox.smtp_host,
                mailbox.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=timeout)
            if mailbox.smtp_security == Security.STARTTLS:
                conn.starttls(context=ssl.create_default_context())
        if mailbox.username:
            conn.login(mailbox.username, password_decrypt(mailbox.password_encrypted))
    except PasswordUnreadable as error:
        raise SendError("smtp_refused", str(error), transient=False) from error
    except smtplib.SMTPAuthenticationError as error:
        raise SendError(
            "smtp_refused",
            f"The mail server refused the mailbox's login: {_said(error)}",
            transient=False,
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise SendError("network", f"SMTP {mailbox.smtp_host}: {error}", transient=True) from error
    return conn


def smtp_hand(mailbox: Mailbox, mail: EmailMessage, *, before_last_byte: Callable) -> None:
    """Hand ``mail`` to the server. ``before_last_byte`` runs just before the end of the data
    is sent: from then on the server may have taken the mail without our hearing it, and
    a retry could send it twice."""
    conn = smtp_connect(mailbox)
    try:
        conn.ehlo_or_helo_if_needed()
        code, said = conn.mail(mailbox.sender.address)
        _check(code, said)
        code, said = conn.rcpt(str(mail["To"]))
        _check(code, said)
        code, said = conn.docmd("DATA")
        _check(code, said, expected=354)
        payload = LEADING_DOT.sub(b"..", mail.as_bytes(policy=email.policy.SMTP))
        conn.send(payload if payload.endswith(b"\r\n") else payload + b"\r\n")
        before_last_byte()
        conn.send(b".\r\n")
    except SendError:
        _close(conn)
        raise
    except (smtplib.SMTPException, OSError) as error:
        _close(conn)
        raise SendError("network", f"SMTP {mailbox.smtp_host}: {error}", transient=True) from error
    try:
        code, said = conn.getreply()
    except (smtplib.SMTPException, OSError) as error:
        _close(conn)
        raise SendError(
            "smtp_unconfirmed",
            "The mail server did not confirm it took the mail: it may have been delivered. "
            "Check with the customer before sending it again.",
            transient=False,
        ) from error
    _close(conn)
    _check(code, said)


def _check(code: int, said: bytes, *, expected: int | None = None) -> None:
    if (expected is None and 200 <= code < 300) or code == expected:
        return
    words = f"The mail server answered {code}: {_said(said)}"
    raise SendError("smtp_refused", words[:280], transient=400 <= code < 500)


def _said(said) -> str:
    if isinstance(said, smtplib.SMTPResponseException):
        said = said.smtp_error
    if isinstance(said, bytes):
        said = said.decode("utf-8", "replace")
    return " ".join(str(said).split())


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()

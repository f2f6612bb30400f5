"""A mail as it came from the IMAP server, read into what the inbox needs.

Everything here is untrusted: headers may be missing, repeated, badly encoded or huge, and
the body any mix of parts. Reading never raises for a bad mail; what cannot be read is
left empty.
"""

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime

from django.utils import timezone

from inbox.pure.storable import storable_text

from .models import MailKind

UNREADABLE_BODY = "(This mail's body could not be read: its parts are nested too deep.)"
# Mail systems' own senders, which RFC 3834 (section 2) says never to answer automatically.
SYSTEM_SENDER = re.compile(
    r"(^|[<\s\"])(mailer-daemon|postmaster|owner-[^@\s]*|[^@\s<\"]*-request)@"
)
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
# Where a bounce says why: the DSN's status class, as plain words for the agent.
STATUS_WORDS = {
    "5.1.1": "The address does not exist.",
    "5.1.2": "The recipient's domain does not exist.",
    "5.2.1": "The recipient's mailbox is disabled.",
    "5.2.2": "The recipient's mailbox is full.",
    "5.3.4": "The mail is larger than the recipient's server accepts.",
    "5.7.1": "The recipient's server refused the mail (policy or spam filter).",
}


@dataclass(frozen=True)
class Bounce:
    """A delivery-status report: which of our mails it is about, and why it failed."""

    original_message_id: str
    status: str  # the DSN's status code ("5.1.1"), or "" when none is given
    reason: str  # in plain words


@dataclass(frozen=True)
class MailFile:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedMail:
    from_address: str
    from_name: str
    from_header: str
    subject: str
    message_id: str
    in_reply_to: str
    references: list[str]
    written_at: datetime | None
    text: str
    html: str
    files: list[MailFile] = field(default_factory=list)
    kind: str = MailKind.PERSON
    bounce: Bounce | None = None


def mail_sid(message_id: str) -> str:
    """The provider SID a mail is stored under: one per Message-ID, whatever its length."""
    return "mid-" + hashlib.sha256(message_id.encode()).hexdigest()[:56]


def message_ids(value: str) -> list[str]:
    """The Message-IDs in a header (``<a@b> <c@d>``), without their angle brackets."""
    return MESSAGE_ID.findall(value or "")


def mail_parse(raw: bytes, *, fallback_id: str) -> ParsedMail:
    """Read ``raw``; ``fallback_id`` stands for a Message-ID the mail does not have.

    A body the parser cannot take apart (parts nested thousands deep) leaves the mail its
    headers and a line saying so: it still reaches the inbox, and the mails after it too."""
    try:
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        text, html, files = _bodies(mail)
        kind, bounce = _kind(mail), _bounce(mail)
    except Exception:  # RecursionError and the parser's own failures on hostile structure
        mail = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        text, html, files = UNREADABLE_BODY, "", []
        kind, bounce = MailKind.PERSON, None
    from_header = _header(mail, "From")
    name, address = next(iter(getaddresses([from_header])), ("", ""))
    ids = message_ids(_header(mail, "Message-ID"))
    return ParsedMail(
        from_address=address.strip().lower(),
        from_name=storable_text(name)[:200],
        from_header=from_header[:998],
        subject=" ".join(_header(mail, "Subject").split()),
        message_id=ids[0] if ids else fallback_id,
        in_reply_to=next(iter(message_ids(_header(mail, "In-Reply-To"))), ""),
        references=message_ids(_header(mail, "References")),
        written_at=_date(_header(mail, "Date")),
        text=text,
        html=html,
        files=files,
        kind=kind,
        bounce=bounce,
    )


def _header(mail: EmailMessage, name: str) -> str:
    try:
        value = mail.get(name)
    except Exception:  # a header the parser cannot decode
        value = None
    return storable_text(str(value or ""))


def _date(value: str) -> datetime | None:
    """When the sender's client says it was written; None when absent, bad or in the future
    (the time it reached us stands then)."""
    try:
        written = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if written.tzinfo is None:
        written = written.replace(tzinfo=UTC)
    return written if written <= timezone.now() else None


def _kind(mail: EmailMessage) -> str:
    """Who wrote it: a person, an auto-responder (RFC 3834 and the common non-standard
    marks) or a mailing list / bulk sender."""
    if mail.get_content_type() == "multipart/report":
        return MailKind.AUTO_REPLY  # a delivery or read report
    auto_submitted = _header(mail, "Auto-Submitted").strip().lower()
    precedence = _header(mail, "Precedence").strip().lower()
    sender = _header(mail, "From").lower()
    if (
        (auto_submitted and auto_submitted != "no")
        or _header(mail, "Return-Path").strip() == "<>"  # a bounce's null sender
        or SYSTEM_SENDER.search(sender)
        or precedence == "auto_reply"
        or _header(mail, "X-Autoreply")
        or _header(mail, "X-Autorespond")
        or "oof" in _header(mail, "X-Auto-Response-Suppress").lower()
    ):
        return MailKind.AUTO_REPLY
    if precedence in ("bulk", "list", "junk") or _header(mail, "List-Id"):
        return MailKind.LIST
    return MailKind.PERSON


def _text_of(part) -> str:
    try:
        return storable_text(part.get_content())
    except (LookupError, ValueError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        return storable_text(payload.decode("utf-8", "replace"))


def _bodies(mail: EmailMessage) -> tuple[str, str, list[MailFile]]:
    """The mail's text and HTML bodies and its attached files."""
    text = html = ""
    files = []
    for part in mail.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        if disposition == "attachment" or (
            part.get_filename() and not content_type.startswith("text/")
        ):
            files.append(
                MailFile(
                    name=part.get_filename() or "attachment",
                    content_type=content_type,
                    content=part.get_payload(decode=True) or b"",
                )
            )
        elif content_type == "text/plain" and not text:
            text = _text_of(part)
        elif content_type == "text/html" and not html:
            html = _text_of(part)
    return text, html, files


def _bounce(mail: EmailMessage) -> Bounce | None:
    """The delivery-status report (RFC 3464) ``mail`` is, or None when it is not one."""
    if mail.get_content_type() != "multipart/report":
        return None
    if mail.get_param("report-type", "").lower() != "delivery-status":
        return None
    status = diagnostic = ""
    original = ""
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for fields in part.get_payload():
                if str(fields.get("Action", "")).strip().lower() == "failed":
                    status = str(fields.get("Status", "")).strip()
                    diagnostic = " ".join(str(fields.get("Diagnostic-Code", "")).split())
        elif kind in ("message/rfc822", "text/rfc822-headers") and not original:
            original = _original_id(part)
    if not original or not status:
        return None  # no failed recipient (a delay warning), or not about a mail of ours
    words = STATUS_WORDS.get(status, "The recipient's server could not deliver the mail.")
    if diagnostic:
        words = f"{words} The server said: {diagnostic}"
    return Bounce(original_message_id=original, status=status, reason=storable_text(words)[:280])


def _original_id(part) -> str:
    """The Message-ID of the mail a bounce returns (whole, or its headers only)."""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) else inner
        value = str(inner.get("Message-ID", ""))
    else:
        headers = email.message_from_string(_text_of(part), policy=email.policy.default)
        value = str(headers.get("Message-ID", ""))
    return next(iter(message_ids(value)), "")

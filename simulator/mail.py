"""What a customer's mail client does on the demo mail servers (``converse/demo_mail.py``):
send a mail over SMTP and read the customer's INBOX over IMAP, as any address may there."""

import contextlib
import email
import email.policy
import imaplib
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from converse import demo_mail

TIMEOUT_SECONDS = 5
SHOWN_MAILS = 30  # the newest mails of the customer's INBOX, read in one FETCH
UID = re.compile(rb"UID (\d+)")


class DemoMailDown(Exception):
    """The demo mail servers do not answer (``make run`` starts them)."""


@dataclass(frozen=True)
class ReceivedMail:
    uid: int
    sender: str  # the address, without the name
    from_header: str
    subject: str
    date: str
    text: str
    message_id: str
    references: str

    @property
    def reply_subject(self) -> str:
        return self.subject if self.subject.lower().startswith("re:") else f"Re: {self.subject}"


def customer_mail_send(
    *,
    frm: str,
    to: str,
    subject: str,
    body: str,
    name: str = "",
    in_reply_to: str = "",
    references: str = "",
) -> str:
    """Send a mail from ``frm`` (called ``name``) to ``to`` through the demo SMTP server;
    its Message-ID."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = formataddr((name, frm)), to, subject
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=frm.rpartition("@")[2] or "customer.test")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = f"{references} {in_reply_to}".strip()
    mail.set_content(body)
    try:
        with smtplib.SMTP(demo_mail.HOST, demo_mail.smtp_port(), timeout=TIMEOUT_SECONDS) as smtp:
            smtp.login(frm, demo_mail.PASSWORD)
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as error:
        raise DemoMailDown(str(error)) from error
    return mail["Message-ID"]


def customer_mails(address: str, *, senders: set[str]) -> list[ReceivedMail]:
    """Of the newest mails in ``address``'s INBOX, those that came from one of ``senders``,
    newest first."""
    try:
        conn = imaplib.IMAP4(demo_mail.HOST, demo_mail.imap_port(), timeout=TIMEOUT_SECONDS)
    except OSError as error:
        raise DemoMailDown(str(error)) from error
    try:
        conn.login(address, demo_mail.PASSWORD)
        conn.select("INBOX", readonly=True)
        _, found = conn.uid("SEARCH", None, "ALL")
        newest = (found[0] or b"").split()[-SHOWN_MAILS:]
        mails = []
        if newest:
            _, data = conn.uid("FETCH", b",".join(newest).decode(), "(UID BODY.PEEK[])")
            for head, raw in (item for item in data if isinstance(item, tuple)):
                mail = email.message_from_bytes(raw, policy=email.policy.default)
                sender = parseaddr(str(mail["From"] or ""))[1].lower()
                if sender in senders:
                    mails.append(_received(int(UID.search(head).group(1)), sender, mail))
        mails.sort(key=lambda mail: mail.uid, reverse=True)
        return mails
    except (imaplib.IMAP4.error, OSError) as error:
        raise DemoMailDown(str(error)) from error
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()


def _text_of(mail) -> str:
    """The mail's plain text; a part in an unknown charset or broken is read as UTF-8, its
    bad bytes replaced (one odd mail must not take the page down)."""
    part = mail.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, UnicodeError, ValueError):
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _received(uid: int, sender: str, mail) -> ReceivedMail:
    return ReceivedMail(
        uid=uid,
        sender=sender,
        from_header=str(mail["From"] or ""),
        subject=str(mail["Subject"] or ""),
        date=str(mail["Date"] or ""),
        text=_text_of(mail),
        message_id=str(mail["Message-ID"] or ""),
        references=str(mail["References"] or ""),
    )

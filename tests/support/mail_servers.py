"""Real mail servers on loopback for the e-mail channel's tests.

- **IMAP**: Debian's dovecot (``dovecot-imapd``), started once per test run with a
  configuration of its own in a temporary folder: any user name logs in with the password
  ``secret`` and gets a mailbox of its own, so each test uses addresses nobody else has.
- **SMTP**: aiosmtpd, acting as the outside world's mail system: a mail it takes is put in
  each recipient's IMAP mailbox (IMAP APPEND), and one to an address starting ``nobody``
  comes back to its sender as a delivery-status report (a bounce). It can refuse the next
  mails with a temporary error (``refuse_next``), or answer the end of a mail only after
  the client gave up waiting (``slow_answer``).

Without dovecot (a newcomer's machine) the tests that need it are skipped; CI installs it
(``.ci/run``), and there a skip fails the run (CONVERSE_REQUIRE_SERVICES).
"""

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from email.utils import make_msgid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

PASSWORD = "secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None
    )


class Dovecot:
    """A dovecot of its own; ``extra`` is added to its configuration (``imap_capability =
    IMAP4rev1`` for a server without IDLE). With a ``certificate`` (``certificate_make``)
    it speaks TLS: STARTTLS on ``port``, implicit TLS on ``tls_port``."""

    def __init__(
        self, binary: str, *, extra: str = "", certificate: tuple[Path, Path] | None = None
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="converse-dovecot-"))
        self.root.chmod(0o755)  # the mail processes run as the mail user
        self.port = free_port()
        self.tls_port = free_port() if certificate else 0
        ssl_settings = (
            f"ssl = yes\nssl_cert = <{certificate[0]}\nssl_key = <{certificate[1]}"
            if certificate
            else "ssl = no"
        )
        self.config = self.root / "dovecot.conf"
        if os.geteuid() == 0:
            # Dovecot runs its login processes unprivileged, as the package's own users.
            internal, login, mail_user = "dovecot", "dovenull", "dovecot"
        else:
            internal = login = mail_user = pwd.getpwuid(os.getuid()).pw_name
        for folder in ("mail", "run", "state"):
            (self.root / folder).mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root / "mail", mail_user, mail_user)
        self.config.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/log
protocols = imap
listen = 127.0.0.1
{ssl_settings}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{self.root}/mail/%u
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={self.root}/mail/%u
}}
{extra}
"""
        )
        self.doveadm = shutil.which("doveadm") or str(Path(binary).with_name("doveadm"))
        subprocess.run([binary, "-c", str(self.config)], check=True)
        deadline = time.monotonic() + 15
        while True:
            try:
                imaplib.IMAP4("127.0.0.1", self.port, timeout=2).logout()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        shutil.rmtree(self.root, ignore_errors=True)

    def kick(self, user: str) -> None:
        """Close every IMAP connection of ``user``, as a server restarting or a network
        dropping them would."""
        subprocess.run(
            [self.doveadm, "-c", str(self.config), "kick", user],
            check=True,
            capture_output=True,
        )

    def connect(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(user, PASSWORD)
        return conn

    def deliver(self, user: str, raw: bytes) -> None:
        """Put a mail in ``user``'s INBOX, as their mail server would."""
        conn = self.connect(user)
        try:
            conn.append("INBOX", None, None, raw)
        finally:
            conn.logout()

    def mails(self, user: str) -> list[bytes]:
        """Every mail in ``user``'s INBOX, oldest first."""
        conn = self.connect(user)
        try:
            conn.select("INBOX", readonly=True)
            _, found = conn.uid("SEARCH", None, "ALL")
            mails = []
            for uid in (found[0] or b"").split():
                _, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                mails.append(data[0][1])
            return mails
        finally:
            conn.logout()


def certificate_make(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key, in ``folder``:
    trusted by a client only where ``SSL_CERT_FILE`` names it."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    for path in (folder, cert_path, key_path):
        path.chmod(0o755 if path.is_dir() else 0o644)  # dovecot reads them as its own user
    return cert_path, key_path


def bounce_of(raw: bytes, *, sender: str, recipient: str) -> bytes:
    """The delivery-status report (RFC 3464) a mail system sends back for ``raw``."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    return (
        (
            "From: Mail Delivery System <MAILER-DAEMON@mx.customer.test>\n"
            f"To: {sender}\n"
            "Subject: Undelivered Mail Returned to Sender\n"
            f"Message-ID: {make_msgid(domain='mx.customer.test')}\n"
            "Auto-Submitted: auto-replied\n"
            "MIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n'
            "\n--B\nContent-Type: text/plain\n\n"
            f"Your mail to {recipient} could not be delivered.\n"
            "\n--B\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.customer.test\n\n"
            f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected\n"
            f"\n--B\nContent-Type: text/rfc822-headers\n\n{head}\n"
            "\n--B--\n"
        )
        .encode()
        .replace(b"\n", b"\r\n")
    )


class OutsideWorld:
    """aiosmtpd's handler: delivers into dovecot, bounces ``nobody…`` addresses."""

    def __init__(self, dovecot: Dovecot) -> None:
        self.dovecot = dovecot
        self.refuse_next = 0
        self.slow_answer = 0.0
        self.taken: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        raw = envelope.original_content or envelope.content
        self.taken.append(raw)
        for recipient in envelope.rcpt_tos:
            if recipient.startswith("nobody"):
                self.dovecot.deliver(
                    envelope.mail_from,
                    bounce_of(raw, sender=envelope.mail_from, recipient=recipient),
                )
            else:
                self.dovecot.deliver(recipient, raw)
        if self.slow_answer:
            time.sleep(self.slow_answer)
        return "250 2.0.0 Ok: queued"


class MailServers:
    def __init__(self, dovecot: Dovecot) -> None:
        self.dovecot = dovecot
        self.world = OutsideWorld(dovecot)
        self.smtp_port = free_port()
        self.controller = Controller(
            self.world,
            hostname="127.0.0.1",
            port=self.smtp_port,
            auth_require_tls=False,
            authenticator=lambda *args: AuthResult(success=True),
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def customer_sends(self, raw: bytes, *, to: str) -> None:
        """A customer's mail client sends ``raw`` to ``to`` through the outside world."""
        import smtplib

        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as smtp:
            smtp.sendmail("customer@customer.test", [to], raw)

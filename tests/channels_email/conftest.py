import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest

from channels_email.imap import mailbox_read
from channels_email.models import Mailbox, Security
from channels_email.secrets import password_encrypt
from inbox.models import Channel, SenderId
from tests.support.mail_servers import PASSWORD, Dovecot, MailServers, dovecot_binary


@pytest.fixture(scope="session")
def dovecot():
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot(binary)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mail_servers(dovecot):
    servers = MailServers(dovecot)
    yield servers
    servers.stop()


@pytest.fixture
def world(mail_servers):
    """The outside world's mail system, as each test finds it: taking every mail."""
    mail_servers.world.refuse_next = 0
    mail_servers.world.slow_answer = 0.0
    return mail_servers


def unique(name: str, domain: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@{domain}"


@pytest.fixture
def mailbox(world, alice, bob) -> Mailbox:
    """A shared support mailbox (alice and bob) on the loopback servers, not read yet."""
    address = unique("support", "shop.test")
    sender = SenderId.objects.create(
        channel=Channel.EMAIL, address=address, label="Shop support", rate_per_second=50
    )
    sender.shared_with.add(alice, bob)
    return Mailbox.objects.create(
        sender=sender,
        imap_host="127.0.0.1",
        imap_port=world.dovecot.port,
        imap_security=Security.NONE,
        smtp_host="127.0.0.1",
        smtp_port=world.smtp_port,
        smtp_security=Security.NONE,
        username=address,
        password_encrypted=password_encrypt(PASSWORD),
    )


@pytest.fixture
def customer() -> str:
    return unique("jane", "customer.test")


def customer_mail(
    *,
    frm: str,
    to: str,
    subject: str = "Where is my order?",
    text: str = "Hello, my order 1234 has not arrived.",
    html: str = "",
    headers: dict | None = None,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Jane Doe <{frm}>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate()
    mail["Message-ID"] = make_msgid(domain="customer.test")
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    return mail


def read(mailbox: Mailbox) -> int:
    return mailbox_read(mailbox.pk)

"""A mailbox over TLS and STARTTLS, on a dovecot and an SMTP server with a certificate of
their own: read (by the poll and over IDLE) and answered when the certificate is trusted,
refused in words when it is not (the password never crosses to an unproven server)."""

import email
import email.policy
import ssl
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from channels_email.checks import mailbox_check
from channels_email.imap import mailbox_read
from channels_email.models import Mailbox, Security
from channels_email.parse import mail_sid
from channels_email.secrets import password_encrypt
from channels_email.watch import Ended, mailbox_watch
from inbox.models import Channel, Conversation, Message, MessageStatus, SenderId
from inbox.services.sending import message_dispatch, message_send
from tests.support.mail_servers import (
    PASSWORD,
    Dovecot,
    OutsideWorld,
    certificate_make,
    dovecot_binary,
    free_port,
)

from .conftest import customer_mail, unique

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return certificate_make(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_servers(certificate):
    """dovecot (STARTTLS on ``port``, TLS on ``tls_port``) and two SMTP servers: implicit
    TLS, and STARTTLS required before the login."""
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    dovecot = Dovecot(binary, certificate=certificate)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    login = {"authenticator": lambda *args: AuthResult(success=True)}
    # aiosmtpd counts only STARTTLS as TLS for its login rule: the whole connection is here.
    implicit = Controller(
        OutsideWorld(dovecot),
        hostname="127.0.0.1",
        port=free_port(),
        ssl_context=context,
        auth_require_tls=False,
        **login,
    )
    starttls = Controller(
        OutsideWorld(dovecot),
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        auth_require_tls=True,
        **login,
    )
    implicit.start()
    starttls.start()
    yield dovecot, implicit.port, starttls.port
    implicit.stop()
    starttls.stop()
    dovecot.stop()


@pytest.fixture
def trusted(monkeypatch, certificate):
    """The test's certificate trusted as a public authority's would be."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def tls_mailbox(alice, *, imap_port: int, smtp_port: int, security: str) -> Mailbox:
    address = unique("support", "shop.test")
    sender = SenderId.objects.create(channel=Channel.EMAIL, address=address, owner=alice)
    return Mailbox.objects.create(
        sender=sender,
        imap_host="127.0.0.1",
        imap_port=imap_port,
        imap_security=security,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security=security,
        username=address,
        password_encrypted=password_encrypt(PASSWORD),
    )


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
def test_a_mailbox_over_tls_is_read_watched_and_answered(tls_servers, trusted, alice, security):
    dovecot, smtp_tls, smtp_starttls = tls_servers
    tls = security == Security.TLS
    mailbox = tls_mailbox(
        alice,
        imap_port=dovecot.tls_port if tls else dovecot.port,
        smtp_port=smtp_tls if tls else smtp_starttls,
        security=security,
    )
    checked = mailbox_check(mailbox)
    assert all(worked for worked, _ in checked), checked
    customer = unique("jane", "customer.test")
    first = customer_mail(frm=customer, to=mailbox.sender.address)
    dovecot.deliver(mailbox.sender.address, first.as_bytes())
    assert mailbox_read(mailbox.pk) == 1

    # Over IDLE too: the watcher reads through the TLS connection's own buffer.
    second = customer_mail(frm=customer, to=mailbox.sender.address, text="Any news?")
    sid = mail_sid(second["Message-ID"].strip("<>"))
    deadline = time.monotonic() + 30
    ended = mailbox_watch(
        mailbox.pk,
        holder="watcher-tls",
        stop=lambda: (
            Message.objects.filter(provider_sid=sid).exists() or time.monotonic() > deadline
        ),
        idling=lambda conn: dovecot.deliver(mailbox.sender.address, second.as_bytes()),
    )
    assert ended == Ended.STOPPED and Message.objects.filter(provider_sid=sid).exists()

    conversation = Conversation.objects.get(sender_id=mailbox.sender)
    reply = message_send(conversation=conversation, author=alice, body="It left today.")
    message_dispatch(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT
    received = email.message_from_bytes(dovecot.mails(customer)[-1], policy=email.policy.default)
    assert received["Subject"] == "Re: Where is my order?"


def test_a_certificate_nobody_vouches_for_is_refused_in_words(tls_servers, alice, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    dovecot, smtp_tls, _ = tls_servers
    mailbox = tls_mailbox(
        alice, imap_port=dovecot.tls_port, smtp_port=smtp_tls, security=Security.TLS
    )
    assert mailbox_read(mailbox.pk) == 0
    mailbox.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in mailbox.last_error
    lines = [line for _, line in mailbox_check(mailbox)]
    assert not any(worked for worked, _ in mailbox_check(mailbox))
    assert "IMAP failed" in lines[0] and "certificate verify failed" in lines[0]
    assert "SMTP failed" in lines[1] and "certificate verify failed" in lines[1]

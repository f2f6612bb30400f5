"""The mail watcher on a real dovecot: a mail appended while it IDLEs is stored at once (no
poll), one watcher holds a mailbox, a dead one loses it, and the poll takes over where IDLE
is not offered or the connection drops."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_email.models import Mailbox, Security
from channels_email.parse import mail_sid
from channels_email.secrets import password_encrypt
from channels_email.tasks import mailboxes_polled
from channels_email.watch import Ended, lease_claim, lease_renew, mailbox_watch
from inbox.models import Message
from tests.support.mail_servers import PASSWORD, Dovecot, dovecot_binary

from .conftest import customer_mail, read

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_poll_no_reidle(settings):
    """Neither beat's poll nor a re-IDLE reads the mailbox during these tests: what is
    read, IDLE announced."""
    settings.MAILBOX_POLL_SECONDS = 3600
    settings.MAILBOX_IDLE_SECONDS = 3600


def _sid(mail) -> str:
    return mail_sid(mail["Message-ID"].strip("<>"))


def _stored(sid: str) -> bool:
    return Message.objects.filter(provider_sid=sid).exists()


def test_a_mail_appended_while_idle_is_stored_without_waiting_for_the_poll(
    world, mailbox, customer
):
    mail = customer_mail(frm=customer, to=mailbox.sender.address)
    idles, appended = [], []

    def append_once_listening(conn) -> None:
        idles.append(time.monotonic())
        if len(idles) == 1:  # a customer's mail reaches the server while the watcher IDLEs
            appended.append(time.monotonic())
            world.dovecot.deliver(mailbox.sender.address, mail.as_bytes())

    deadline = time.monotonic() + 30
    ended = mailbox_watch(
        mailbox.pk,
        holder="watcher-1",
        stop=lambda: _stored(_sid(mail)) or time.monotonic() > deadline,
        idling=append_once_listening,
    )
    took = time.monotonic() - appended[0]
    assert ended == Ended.STOPPED and _stored(_sid(mail))
    # One IDLE: the server's announcement read it, within seconds (the poll is an hour).
    assert len(idles) == 1 and took < 10, took
    message = Message.objects.get(provider_sid=_sid(mail))
    assert message.conversation.sender_id_id == mailbox.sender_id
    # The watcher let the mailbox go when it stopped: beat polls it again.
    mailbox.refresh_from_db()
    assert mailbox.watched_by == "" and mailbox.watched_until is None
    assert mailbox.pk in mailboxes_polled()


def test_mail_that_came_while_nobody_watched_is_read_when_the_watch_starts(
    world, mailbox, customer
):
    mail = customer_mail(frm=customer, to=mailbox.sender.address)
    world.dovecot.deliver(mailbox.sender.address, mail.as_bytes())
    ended = mailbox_watch(mailbox.pk, holder="watcher-1", stop=lambda: True)
    assert ended == Ended.STOPPED and _stored(_sid(mail))
    # Read once: the poll after it finds nothing new.
    assert read(mailbox) == 0
    assert Message.objects.filter(provider_sid=_sid(mail)).count() == 1


def test_one_watcher_holds_a_mailbox_and_one_that_died_loses_it(world, mailbox):
    assert lease_claim(mailbox.pk, "watcher-1")
    # A second watcher (another process) leaves it alone; beat does not poll it.
    assert mailbox_watch(mailbox.pk, holder="watcher-2", stop=lambda: True) == Ended.HELD
    assert mailbox.pk not in mailboxes_polled()
    # Watcher 1 dies: its lease runs out unrenewed. Beat polls the mailbox again and the
    # second watcher takes it over; the first, were it alive after all, cannot renew.
    Mailbox.objects.filter(pk=mailbox.pk).update(
        watched_until=timezone.now() - timedelta(seconds=1)
    )
    assert mailbox.pk in mailboxes_polled()
    assert lease_claim(mailbox.pk, "watcher-2")
    assert not lease_renew(mailbox.pk, "watcher-1")
    assert lease_renew(mailbox.pk, "watcher-2")


def test_a_paused_mailbox_is_let_go_by_its_watcher_and_not_watched_again(world, mailbox):
    assert lease_claim(mailbox.pk, "watcher-1")
    mailbox.sender.is_active = False
    mailbox.sender.save(update_fields=["is_active"])
    assert not lease_renew(mailbox.pk, "watcher-1")
    assert mailbox_watch(mailbox.pk, holder="watcher-1", stop=lambda: True) == Ended.HELD


def test_a_dropped_connection_lets_the_poll_read_the_mailbox(world, mailbox, customer):
    """The server drops the IDLE connection (a restart, a network): the watcher lets the
    mailbox go at once, and the poll reads what arrives until it watches again."""

    def dropped_once_listening(conn) -> None:
        world.dovecot.kick(mailbox.username)

    deadline = time.monotonic() + 30
    ended = mailbox_watch(
        mailbox.pk,
        holder="watcher-1",
        stop=lambda: time.monotonic() > deadline,
        idling=dropped_once_listening,
    )
    assert ended == Ended.DROPPED
    assert mailbox.pk in mailboxes_polled()
    mail = customer_mail(frm=customer, to=mailbox.sender.address)
    world.dovecot.deliver(mailbox.sender.address, mail.as_bytes())
    assert read(mailbox) == 1 and _stored(_sid(mail))


@pytest.fixture(scope="session")
def dovecot_without_idle():
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot(binary, extra="imap_capability = IMAP4rev1 LITERAL+")
    yield server
    server.stop()


def test_a_server_without_idle_leaves_the_mailbox_to_the_poll(
    dovecot_without_idle, mailbox, customer
):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_port=dovecot_without_idle.port, imap_security=Security.NONE
    )
    mailbox.refresh_from_db()
    assert mailbox_watch(mailbox.pk, holder="watcher-1", stop=lambda: False) == Ended.NO_IDLE
    mailbox.refresh_from_db()
    assert mailbox.watched_until is None and mailbox.pk in mailboxes_polled()
    mail = customer_mail(frm=customer, to=mailbox.sender.address)
    dovecot_without_idle.deliver(mailbox.sender.address, mail.as_bytes())
    assert read(mailbox) == 1 and _stored(_sid(mail))


def test_the_watcher_idles_again_before_the_server_would_drop_it(
    world, mailbox, customer, settings
):
    """Each IDLE ends within ``MAILBOX_IDLE_SECONDS`` (RFC 2177: under 29 minutes) and the
    watcher reads and IDLEs again on the same connection."""
    settings.MAILBOX_IDLE_SECONDS = 1
    idles: list[float] = []
    deadline = time.monotonic() + 30
    ended = mailbox_watch(
        mailbox.pk,
        holder="watcher-1",
        stop=lambda: len(idles) >= 3 or time.monotonic() > deadline,
        idling=lambda conn: idles.append(time.monotonic()),
    )
    assert ended == Ended.STOPPED and len(idles) >= 3


def test_a_watch_renews_its_lease_while_it_idles(world, mailbox, settings):
    settings.MAILBOX_WATCH_LEASE_SECONDS = 3
    leases: list = []
    listening = threading.Event()
    deadline = time.monotonic() + 30

    def lease_seen() -> bool:
        if listening.is_set():
            leases.append(Mailbox.objects.get(pk=mailbox.pk).watched_until)
        return len(set(leases)) >= 3 or time.monotonic() > deadline

    ended = mailbox_watch(
        mailbox.pk, holder="watcher-1", stop=lease_seen, idling=lambda conn: listening.set()
    )
    assert ended == Ended.STOPPED
    assert len(set(leases)) >= 3  # renewed twice at least, while it IDLEd


def test_a_mailbox_given_a_new_login_is_watched_over_a_new_connection(world, mailbox, settings):
    """The watcher notices between two IDLEs that the admin changed the mailbox's server or
    login, and ends the connection: its manager connects again with the new one."""
    settings.MAILBOX_IDLE_SECONDS = 1

    def changed_once_listening(conn) -> None:  # the same password, saved again
        Mailbox.objects.filter(pk=mailbox.pk).update(password_encrypted=password_encrypt(PASSWORD))

    deadline = time.monotonic() + 30
    ended = mailbox_watch(
        mailbox.pk,
        holder="watcher-1",
        stop=lambda: time.monotonic() > deadline,
        idling=changed_once_listening,
    )
    assert ended == Ended.CHANGED
    assert Mailbox.objects.get(pk=mailbox.pk).watched_by == ""


def test_a_folder_the_server_does_not_have_is_said_and_the_watch_polled(world, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(folder="Archive")
    assert read(mailbox) == 0
    mailbox.refresh_from_db()
    assert "no folder Archive" in mailbox.last_error and mailbox.reading_until is None
    assert mailbox_watch(mailbox.pk, holder="watcher-1", stop=lambda: False) == Ended.DROPPED
    assert mailbox.pk in mailboxes_polled()

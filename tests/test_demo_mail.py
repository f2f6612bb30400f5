"""``make run``'s demo mailbox: the demo mail servers (``converse/demo_mail.py``), started as
``run_demo`` starts them, hold the mailbox ``seed_demo`` adds; a customer's mail reaches the
inbox through the channel's real IMAP reading, and the agent's reply reaches the customer's
mailbox through the channel's real SMTP sending."""

import email
import email.policy
import imaplib
import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from channels_email.imap import mailbox_read
from channels_email.models import Mailbox, Security
from channels_email.secrets import password_decrypt
from converse import demo_mail
from converse.run_demo import DEMO_MAIL, MAIL_WATCHER, SUPERVISED
from inbox.models import Conversation, Message, MessageStatus, User
from inbox.services.sending import message_dispatch, message_send
from inbox.services.teams import conversation_join
from simulator.mail import customer_mail_send, customer_mails
from tests.support.mail_servers import free_port
from tests.support.workers import ROOT as PROJECT
from tests.support.workers import wait_for, worker_environment

ROOT = Path(__file__).resolve().parent.parent
SUPPORT, JANE = demo_mail.SUPPORT_ADDRESS, demo_mail.CUSTOMER_ADDRESS

pytestmark = pytest.mark.django_db(transaction=True)


class DemoMail:
    """The demo mail process on ports of its own, its mail kept in ``folder``."""

    def __init__(self, folder: Path, monkeypatch) -> None:
        self.folder = folder
        self.imap, self.smtp = free_port(), free_port()
        for name, value in (
            ("DEMO_IMAP_PORT", self.imap),
            ("DEMO_SMTP_PORT", self.smtp),
            ("CONVERSE_VAR_DIR", folder),
        ):
            monkeypatch.setenv(name, str(value))
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(DEMO_MAIL, cwd=ROOT, env=dict(os.environ))
        deadline = time.monotonic() + 30
        while True:
            try:
                imaplib.IMAP4(demo_mail.HOST, self.imap, timeout=2).logout()
                return
            except OSError:
                assert self.process.poll() is None, "the demo mail process stopped"
                assert time.monotonic() < deadline, "the demo mail servers never answered"
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def demo(tmp_path, monkeypatch):
    servers = DemoMail(tmp_path, monkeypatch)
    servers.start()
    yield servers
    servers.stop()


@pytest.fixture
def demo_mailbox(demo) -> Mailbox:
    call_command("seed_demo", verbosity=0)
    return Mailbox.objects.select_related("sender").get(sender__address=SUPPORT)


def reply(conversation: Conversation, body: str) -> Message:
    """Alice answers, having joined the conversation of the Support team's mailbox."""
    alice = User.objects.get(username="alice")
    conversation_join(conversation=conversation, user=alice)
    message = message_send(conversation=conversation, author=alice, body=body)
    message_dispatch(message_id=message.pk)
    message.refresh_from_db()
    return message


def test_seed_demo_adds_a_mailbox_on_the_local_demo_servers_only(demo_mailbox, demo):
    assert (demo_mailbox.imap_host, demo_mailbox.imap_port) == ("127.0.0.1", demo.imap)
    assert (demo_mailbox.smtp_host, demo_mailbox.smtp_port) == ("127.0.0.1", demo.smtp)
    assert demo_mailbox.imap_security == demo_mailbox.smtp_security == Security.NONE
    assert password_decrypt(demo_mailbox.password_encrypted) == demo_mail.PASSWORD
    assert set(demo_mailbox.sender.shared_with.values_list("username", flat=True)) == {
        "alice",
        "bob",
    }
    # Loading the demo again changes nothing.
    call_command("seed_demo", verbosity=0)
    assert Mailbox.objects.get().password_encrypted == demo_mailbox.password_encrypted


def test_a_customers_mail_arrives_and_the_agents_reply_lands_in_their_mailbox(demo_mailbox):
    customer_mail_send(
        frm=JANE, to=SUPPORT, subject="Where is my order?", body="It has not arrived."
    )

    assert mailbox_read(demo_mailbox.pk) == 1
    conversation = Conversation.objects.get(customer_address=JANE)
    first = conversation.messages.get()
    assert (first.subject, first.body) == ("Where is my order?", "It has not arrived.")
    assert conversation.sender_id == demo_mailbox.sender

    answer = reply(conversation, "It arrives tomorrow.")

    assert answer.status == MessageStatus.SENT
    (mail,) = customer_mails(JANE, senders={SUPPORT})
    assert mail.subject == "Re: Where is my order?"
    assert mail.text.strip() == "It arrives tomorrow."
    assert "Alice" in mail.from_header and SUPPORT in mail.from_header
    raw = _raw_mails(JANE)[0]
    assert raw["In-Reply-To"] == f"<{first.mail.mail_id}>"

    # Jane answers the reply: it joins the same conversation.
    customer_mail_send(
        frm=JANE,
        to=SUPPORT,
        subject=mail.reply_subject,
        body="Thank you!",
        in_reply_to=mail.message_id,
        references=mail.references,
    )
    assert mailbox_read(demo_mailbox.pk) == 1
    assert list(
        conversation.messages.order_by("created_at", "id").values_list("body", flat=True)
    ) == [
        "It has not arrived.",
        "It arrives tomorrow.",
        "Thank you!",
    ]


def test_the_demo_mail_outlives_a_restart(demo_mailbox, demo):
    customer_mail_send(frm=JANE, to=SUPPORT, subject="Hello", body="First")
    assert mailbox_read(demo_mailbox.pk) == 1

    demo.stop()
    demo.start()

    customer_mail_send(frm=JANE, to=SUPPORT, subject="Hello again", body="Second")
    assert mailbox_read(demo_mailbox.pk) == 1  # the new one only: its UIDs went on
    assert Message.objects.filter(conversation__customer_address=JANE).count() == 2


def test_make_run_watches_the_demo_mailbox_and_a_mail_arrives_without_the_poll(demo_mailbox):
    """The mail watcher ``make run`` keeps running beside the worker holds the demo
    mailbox over IMAP IDLE (Twisted's server offers it): a mail is stored with no poll."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the watcher is started on its test database")
    assert ("mail watcher", MAIL_WATCHER) in SUPERVISED
    watcher = subprocess.Popen(
        [*MAIL_WATCHER, "--scan-seconds", "0.5"],
        cwd=PROJECT,
        env=worker_environment(MAILBOX_POLL_SECONDS="3600"),
    )
    try:
        assert wait_for(
            lambda: Mailbox.objects.get(pk=demo_mailbox.pk).watched_by != "", timeout=60
        )
        customer_mail_send(frm=JANE, to=SUPPORT, subject="Hello", body="Through IDLE")
        arrived = Message.objects.filter(conversation__customer_address=JANE)
        assert wait_for(lambda: arrived.exists(), timeout=30)
        assert arrived.get().body == "Through IDLE"
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)


def _raw_mails(address: str) -> list:
    conn = imaplib.IMAP4(demo_mail.HOST, int(os.environ["DEMO_IMAP_PORT"]), timeout=10)
    try:
        conn.login(address, demo_mail.PASSWORD)
        conn.select("INBOX", readonly=True)
        _, found = conn.uid("SEARCH", None, "ALL")
        mails = []
        for uid in (found[0] or b"").split():
            _, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            mails.append(email.message_from_bytes(data[0][1], policy=email.policy.default))
        return mails
    finally:
        conn.logout()


def test_the_customer_mail_page_sends_and_shows_the_answers(
    demo_mailbox, client, settings, django_assert_num_queries
):
    settings.DEBUG = True
    alice = User.objects.get(username="alice")
    client.force_login(alice)
    url = reverse("simulator:mail")

    sent = client.post(
        url,
        {
            "sender": demo_mailbox.sender.public_id,
            "name": "Sam Lee",
            "address": "sam@customer.test",
            "subject": "Opening hours",
            "body": "Are you open on Sunday?",
        },
    )

    assert sent.status_code == 302
    assert mailbox_read(demo_mailbox.pk) == 1
    conversation = Conversation.objects.get(customer_address="sam@customer.test")
    assert conversation.contact.display_name == "Sam Lee"
    reply(conversation, "Yes, from 10 to 4.")
    # The session, the user, the unread badge and the user's mailboxes.
    with django_assert_num_queries(4):
        page = client.get(sent["Location"])
    assert page.status_code == 200
    assert "Re: Opening hours" in page.text and "Yes, from 10 to 4." in page.text
    assert "Customer mail" in page.text  # in the top bar of the demo


def test_the_customer_mail_page_refuses_what_would_break_a_header_or_a_login(
    demo_mailbox, client, settings
):
    settings.DEBUG = True
    client.force_login(User.objects.get(username="alice"))
    url = reverse("simulator:mail")
    customer_mail_send(frm="support@acme.test", to="jane@customer.test", subject="Hi", body="Hi")
    customer_mail_send(frm="jane@customer.test", to="support@acme.test", subject="Hi", body="Hi")
    mail = {
        "sender": demo_mailbox.sender.public_id,
        "name": "Sam Lee",
        "address": "sam@customer.test",
        "subject": "Opening hours",
        "body": "Are you open on Sunday?",
    }

    for field, value in (
        ("subject", "Hi\r\nBcc: someone@else.test"),
        ("name", "Sam\nLee"),
        ("in_reply_to", "<a@b>\r\nX-Injected: 1"),
        ("address", "jäne@customer.test"),
    ):
        refused = client.post(url, {**mail, field: value})
        assert refused.status_code == 422, field
    # An address that would add IMAP commands to the login shows the default customer's
    # mailbox, and runs none of them: the support mailbox keeps its mail.
    login = 'support@acme.test "demo"\r\nX1 SELECT INBOX\r\nX2 STORE 1:* +FLAGS (\\Deleted)'
    for address in (login, "jäne@customer.test"):
        page = client.get(url, {"address": address})
        assert page.status_code == 200
    assert mailbox_read(demo_mailbox.pk) == 1
    assert len(customer_mails("jane@customer.test", senders={"support@acme.test"})) == 1


def test_a_mail_in_an_unknown_charset_is_shown_as_best_it_can_be(demo):
    raw = (
        b"From: support@acme.test\r\nTo: jane@customer.test\r\nSubject: Odd\r\n"
        b'Content-Type: text/plain; charset="x-bogus"\r\n\r\nCaf\xe9 open\r\n'
    )
    with smtplib.SMTP(demo_mail.HOST, demo_mail.smtp_port()) as smtp:
        smtp.login("support@acme.test", demo_mail.PASSWORD)
        smtp.sendmail("support@acme.test", ["jane@customer.test"], raw)

    (mail,) = customer_mails("jane@customer.test", senders={"support@acme.test"})
    assert mail.text.startswith("Caf\ufffd open")


def test_the_customer_mail_page_says_when_the_demo_servers_are_not_running(
    client, alice, settings, monkeypatch
):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_IMAP_PORT", str(free_port()))
    client.force_login(alice)

    page = client.get(reverse("simulator:mail"))

    assert page.status_code == 503
    assert "The demo mail servers do not answer" in page.text


def test_the_customer_mail_page_is_not_there_outside_the_local_demo(client, alice):
    client.force_login(alice)

    assert client.get(reverse("simulator:mail")).status_code == 404
    assert "Customer mail" not in client.get("/").text


def test_every_address_keeps_its_mail_in_a_folder_of_its_own(demo):
    for odd in ("..", "../../elsewhere", "."):
        conn = imaplib.IMAP4(demo_mail.HOST, demo.imap, timeout=10)
        conn.login(f'"{odd}"', demo_mail.PASSWORD)
        conn.append("INBOX", None, None, b"Subject: hello\r\n\r\nHi\r\n")
        conn.logout()

    root = demo.folder / "demo-mail"
    kept = {p.relative_to(demo.folder) for p in demo.folder.rglob("*.eml")}
    assert len(kept) == 3 and all(p.is_relative_to("demo-mail") for p in kept)
    assert sorted(p.name for p in root.iterdir()) == ["%2E", "%2E.", "%2E.%2F..%2Felsewhere"]


def test_a_mail_client_reads_files_and_deletes_mail_there(demo):
    customer_mail_send(frm=SUPPORT, name="Alice", to=JANE, subject="Your order", body="Shipped.")
    conn = imaplib.IMAP4(demo_mail.HOST, demo.imap, timeout=10)
    conn.login(JANE, demo_mail.PASSWORD)

    assert b'"INBOX"' in conn.list()[1][0]
    assert conn.select("INBOX") == ("OK", [b"1"])
    _, data = conn.fetch("1", "(FLAGS ENVELOPE)")
    assert b'"Your order"' in data[0] and b"FLAGS ()" in data[0]
    conn.store("1", "+FLAGS", "\\Seen")
    assert b"\\Seen" in conn.fetch("1", "(FLAGS)")[1][0]
    # Filing a copy of a sent mail, then deleting the one read.
    conn.create("Sent")
    conn.append("Sent", "(\\Seen)", None, b"Subject: Thanks\r\n\r\nThanks!\r\n")
    conn.store("1", "+FLAGS", "\\Deleted")
    conn.expunge()
    assert conn.select("INBOX") == ("OK", [b"0"])
    assert conn.select("Sent") == ("OK", [b"1"])
    conn.logout()


def test_converse_without_its_development_tools_loads_the_demo_mailbox_and_page():
    """The production image has neither Twisted nor aiosmtpd: only the demo process needs
    them, and it alone imports them."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, django; django.setup(); import simulator.views, "
            "channels_email.management.commands.seed_email_demo; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'twisted', 'aiosmtpd'}))",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"

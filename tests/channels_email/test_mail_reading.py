"""Reading untrusted mail: who wrote it, the new part, the address rules."""

import pytest

from channels_email.channel import EmailRules
from channels_email.content import html_clean, new_part
from channels_email.models import MailKind
from channels_email.parse import mail_parse
from inbox.channels import InvalidAddress


def raw(headers: str, body: str = "Hello") -> bytes:
    return f"From: Jane <jane@customer.test>\r\n{headers}\r\n\r\n{body}\r\n".encode()


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ("Subject: hi", MailKind.PERSON),
        ("Auto-Submitted: no", MailKind.PERSON),
        ("Auto-Submitted: auto-replied", MailKind.AUTO_REPLY),
        ("X-Autoreply: yes", MailKind.AUTO_REPLY),
        ("Return-Path: <>", MailKind.AUTO_REPLY),
        ("Return-Path: <jane@customer.test>", MailKind.PERSON),
        ("Precedence: auto_reply", MailKind.AUTO_REPLY),
        ("Precedence: bulk", MailKind.LIST),
        ("List-Id: <news.shop.test>", MailKind.LIST),
    ],
)
def test_automatic_and_list_mail_is_told_from_a_persons(headers, kind):
    assert mail_parse(raw(headers), fallback_id="x@y").kind == kind


@pytest.mark.parametrize(
    ("sender", "kind"),
    [
        ("Mail Delivery System <MAILER-DAEMON@mx.test>", MailKind.AUTO_REPLY),
        ("postmaster@mx.test", MailKind.AUTO_REPLY),
        ("news-request@lists.test", MailKind.AUTO_REPLY),
        ("owner-news@lists.test", MailKind.AUTO_REPLY),
        ("Request Desk <request-desk@shop.test>", MailKind.PERSON),
        ("Jane <jane@customer.test>", MailKind.PERSON),
    ],
)
def test_mail_from_a_mail_system_is_never_answered_automatically(sender, kind):
    mail = f"From: {sender}\r\nSubject: Undelivered mail\r\n\r\nIt failed.\r\n".encode()
    assert mail_parse(mail, fallback_id="x@y").kind == kind


def test_a_mail_without_headers_worth_reading_still_reads():
    mail = mail_parse(b"\xff\xfe garbage without headers", fallback_id="1.2@mailbox-3")
    assert mail.message_id == "1.2@mailbox-3"
    assert mail.from_address == ""
    assert mail.bounce is None


def test_a_date_in_the_future_is_not_believed():
    mail = mail_parse(raw("Date: Tue, 1 Jan 2999 00:00:00 +0000"), fallback_id="x@y")
    assert mail.written_at is None


@pytest.mark.parametrize(
    ("text", "new"),
    [
        ("Thanks!\n\nOn Mon, 7 Dec 2026, Shop <s@shop.test> wrote:\n> old", "Thanks!"),
        ("Danke!\n\nAm 7. Dez. 2026 schrieb Shop <s@shop.test>:\n> alt", "Danke!"),
        ("Just this.", "Just this."),
    ],
)
def test_the_thread_shows_the_new_part_of_a_mail(text, new):
    assert new_part(text) == new


def test_addresses_are_checked_and_kept_in_lower_case():
    rules = EmailRules()
    assert rules.normalise_address(" Jane@Customer.TEST ") == "jane@customer.test"
    with pytest.raises(InvalidAddress):
        rules.normalise_address("not an address")


def test_a_mail_is_placed_at_the_end_of_the_second_it_arrived_in():
    import time as clock
    from datetime import UTC, datetime, timedelta

    from django.utils import timezone

    from channels_email.imap import _aware

    second = datetime(2026, 1, 7, 10, 0, 0, tzinfo=UTC)
    struct = clock.localtime(second.timestamp())
    assert _aware(struct) == second + timedelta(seconds=1)
    now = timezone.now().replace(microsecond=0)
    assert _aware(clock.localtime(now.timestamp())) <= timezone.now()


def test_a_mail_nested_thousands_of_parts_deep_keeps_its_headers_and_says_so():
    body = "Content-Type: text/plain\r\n\r\nhello\r\n"
    for depth in range(3000):
        body = (
            f"Content-Type: multipart/mixed; boundary=b{depth}\r\n\r\n"
            f"--b{depth}\r\n{body}\r\n--b{depth}--\r\n"
        )
    headers = "From: Jane <jane@customer.test>\r\nSubject: deep\r\nMessage-ID: <deep@customer.test>"
    mail = mail_parse(f"{headers}\r\n{body}".encode(), fallback_id="x@y")
    assert (mail.from_address, mail.subject, mail.message_id) == (
        "jane@customer.test",
        "deep",
        "deep@customer.test",
    )
    assert "could not be read" in mail.text
    assert mail.bounce is None


@pytest.mark.parametrize(
    "link",
    [
        '<a href="DATA:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>',
        '<a href=" data:text/html,x">x</a>',
        '<a href="javascript:alert(1)">x</a>',
        '<q cite="Data:text/html,x">x</q>',
    ],
)
def test_a_mails_links_never_carry_script_or_data_whatever_their_case(link):
    cleaned = html_clean(link, remote_images=True).lower()
    assert "data:" not in cleaned and "javascript:" not in cleaned


def test_a_remote_image_shows_when_asked_whatever_the_case_of_its_scheme():
    assert "tracker.example" not in html_clean('<img src="HTTPS://tracker.example/p.gif">')
    assert "tracker.example" in html_clean(
        '<img src="HTTPS://tracker.example/p.gif">', remote_images=True
    )

"""A mailbox full of hostile or broken mail is read whole: each reaches the inbox as well as
it can be read, and the mail after it too."""

import pytest

from inbox.models import Message
from tests.channels_email.conftest import customer_mail, read

pytestmark = pytest.mark.django_db(transaction=True)


def hostile(customer: str) -> dict[str, bytes]:
    head = f"From: Jane <{customer}>\r\nTo: support@shop.test\r\n"
    deep = "Content-Type: text/plain\r\n\r\nhello\r\n"
    for depth in range(3000):
        deep = (
            f"Content-Type: multipart/mixed; boundary=b{depth}\r\n\r\n"
            f"--b{depth}\r\n{deep}\r\n--b{depth}--\r\n"
        )
    return {
        "deep": f"{head}Subject: deep\r\n{deep}".encode(),
        "giant subject": f"{head}Subject: {'x' * 200_000}\r\n\r\ngiant\r\n".encode(),
        "bad charset": (
            f"{head}Subject: =?x-nonsense?B?AAAA?=\r\n"
            "Content-Type: text/plain; charset=x-nonsense\r\n\r\nbad \xff charset\r\n"
        ).encode("latin-1"),
        "nul bytes": f"{head}Subject: nul\x00\r\n\r\nnul\x00 body\r\n".encode(),
        "bad base64": (
            f"{head}Subject: b64\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64\r\n"
        ).encode(),
        "report about nothing": (
            f"{head}Subject: report\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
            "--R\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Action: failed\r\nStatus: 5.1.1\r\n\r\n--R\r\nContent-Type: message/rfc822\r\n\r\n"
            "--R--\r\n"
        ).encode(),
        "zip named pdf": (
            f"{head}Subject: invoice\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\n"
            "--Z\r\nContent-Type: text/plain\r\n\r\nSee the invoice.\r\n"
            "--Z\r\nContent-Type: application/pdf\r\n"
            'Content-Disposition: attachment; filename="invoice.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAAAAIQAAAAAAAAAAAAAAAAA=\r\n"
            "--Z--\r\n"
        ).encode(),
    }


def test_hostile_mail_never_stops_the_mailbox_and_the_mail_after_it_arrives(
    world, mailbox, customer
):
    for raw in hostile(customer).values():
        world.dovecot.deliver(mailbox.sender.address, raw)
    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address, text="After all that.").as_bytes(),
        to=mailbox.sender.address,
    )

    assert read(mailbox) == len(hostile(customer)) + 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""
    bodies = list(Message.objects.order_by("pk").values_list("body", flat=True))
    assert bodies[-1] == "After all that."
    assert any("could not be read" in body for body in bodies)
    # The zip dressed as a PDF is left out, and said so.
    assert any("invoice.pdf was not kept" in body for body in bodies)
    assert not Message.objects.filter(attachments__original_name="invoice.pdf").exists()


def test_a_mail_that_cannot_be_stored_is_left_out_said_and_the_rest_arrives(
    world, mailbox, customer, monkeypatch
):
    from channels_email import imap

    ingest = imap.mail_ingest

    def failing_on_poison(*, raw: bytes, **kwargs):
        if b"poison" in raw:
            raise ValueError("a reading nobody foresaw")
        ingest(raw=raw, **kwargs)

    monkeypatch.setattr(imap, "mail_ingest", failing_on_poison)
    for text in ("Before.", "poison", "After."):
        world.customer_sends(
            customer_mail(frm=customer, to=mailbox.sender.address, text=text).as_bytes(),
            to=mailbox.sender.address,
        )

    assert read(mailbox) == 3
    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == [
        "Before.",
        "After.",
    ]
    mailbox.refresh_from_db()
    assert (
        mailbox.last_error == "Mail with UID 2 could not be stored and was left out (see the log)."
    )
    assert read(mailbox) == 0  # not read again and again

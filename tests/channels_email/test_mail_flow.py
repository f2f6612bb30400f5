"""The e-mail channel against real servers on loopback: dovecot (IMAP) and aiosmtpd (SMTP)."""

import email
import email.policy

import pytest
from django.urls import reverse

from channels_email.models import Mailbox, MailHeaders
from inbox.models import Channel, Conversation, Message, MessageStatus, SenderId
from inbox.services.conversation_status import conversation_set_status
from inbox.services.sending import message_dispatch, message_send
from tests.channels_email.conftest import customer_mail, read, unique
from tests.support.mail_servers import bounce_of

pytestmark = pytest.mark.django_db(transaction=True)


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def reply(alice, conversation: Conversation, body: str) -> Message:
    message = message_send(conversation=conversation, author=alice, body=body)
    message_dispatch(message_id=message.pk)
    message.refresh_from_db()
    return message


def test_a_customers_mail_arrives_in_the_inbox_with_its_subject_and_new_part(
    world, mailbox, customer
):
    mail = customer_mail(
        frm=customer,
        to=mailbox.sender.address,
        text="Hello, my order 1234 has not arrived.\n\n--\nJane Doe\nACME Ltd\n\n"
        "On Mon, 7 Dec 2026 at 10:00, Shop <shop@shop.test> wrote:\n> Your order shipped.\n",
    )
    world.customer_sends(mail.as_bytes(), to=mailbox.sender.address)

    assert read(mailbox) == 1

    message = Message.objects.get()
    assert message.subject == "Where is my order?"
    assert message.body == "Hello, my order 1234 has not arrived."
    assert message.conversation.customer_address == customer
    assert message.conversation.contact.display_name == "Jane Doe"
    headers = MailHeaders.objects.get(message=message)
    assert "Your order shipped." in headers.text  # the whole mail, one click away


def test_a_mail_is_stored_once_whoever_reads_it_again(world, mailbox, customer):
    mail = customer_mail(frm=customer, to=mailbox.sender.address)
    world.customer_sends(mail.as_bytes(), to=mailbox.sender.address)
    assert read(mailbox) == 1
    assert read(mailbox) == 0  # the cursor moved on

    # A restart that lost the cursor, or a second worker, reads the folder again.
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0, uid_validity=None)
    assert read(mailbox) == 1
    # The same mail copied in again (another UID, the same Message-ID).
    world.dovecot.deliver(mailbox.sender.address, mail.as_bytes())
    assert read(mailbox) == 1

    assert Message.objects.count() == 1


def test_a_worker_leaves_a_mailbox_another_is_reading(world, mailbox, customer):
    from django.utils import timezone

    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(
        reading_until=timezone.now() + timezone.timedelta(seconds=60)
    )
    assert read(mailbox) == 0
    assert not Message.objects.exists()


def test_the_agents_reply_reaches_the_customer_threaded_and_their_answer_joins_the_conversation(
    world, mailbox, customer, alice
):
    first = customer_mail(frm=customer, to=mailbox.sender.address)
    world.customer_sends(first.as_bytes(), to=mailbox.sender.address)
    read(mailbox)
    conversation = Conversation.objects.get()

    sent = reply(alice, conversation, "Sorry! It leaves today.\nTracking follows.")

    assert sent.status == MessageStatus.SENT
    assert sent.subject == "Re: Where is my order?"
    received = parsed(world.dovecot.mails(customer)[-1])
    assert received["From"].addresses[0].display_name == "Alice"
    assert received["From"].addresses[0].addr_spec == mailbox.sender.address
    assert received["Subject"] == "Re: Where is my order?"
    assert received["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in received["References"]
    assert received["Message-ID"].startswith(f"<{sent.public_id}@")
    assert received.get_body(("plain",)).get_content().replace("\r", "").strip() == (
        "Sorry! It leaves today.\nTracking follows."
    )
    assert "<br>" in received.get_body(("html",)).get_content()

    # The customer answers from another address of theirs: the threading headers decide.
    answer = customer_mail(
        frm=customer.replace("jane-", "jane.doe-"),
        to=mailbox.sender.address,
        subject="Re: Where is my order?",
        text="Thanks!",
        headers={"In-Reply-To": received["Message-ID"], "References": received["References"]},
    )
    world.customer_sends(answer.as_bytes(), to=mailbox.sender.address)
    read(mailbox)

    assert Conversation.objects.count() == 1
    assert (
        list(conversation.messages.order_by("created_at", "pk").values_list("body", flat=True))[-1]
        == "Thanks!"
    )


def test_a_bounce_fails_the_message_with_its_reason(world, mailbox, alice):
    nobody = "nobody@customer.test"
    world.customer_sends(
        customer_mail(frm=nobody, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )
    read(mailbox)
    sent = reply(alice, Conversation.objects.get(), "We will look into it.")
    assert sent.status == MessageStatus.SENT

    read(mailbox)  # the bounce came back to the mailbox

    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED
    assert sent.error_code == "bounced"
    assert "The address does not exist." in sent.error_reason
    assert Message.objects.count() == 2  # the bounce is no customer message


def test_a_forged_bounce_to_another_mailbox_fails_no_mail_of_this_one(
    world, mailbox, customer, alice
):
    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )
    read(mailbox)
    sent = reply(alice, Conversation.objects.get(), "We will look into it.")
    other = Mailbox.objects.get(pk=mailbox.pk)
    other.pk = other.sender_id = None
    other.sender = SenderId.objects.create(
        channel=Channel.EMAIL, address=unique("sales", "shop.test"), rate_per_second=50
    )
    other.username = other.sender.address
    other.save()
    bounce = bounce_of(world.dovecot.mails(customer)[-1], sender="x", recipient=customer)

    world.customer_sends(bounce, to=other.sender.address)
    read(other)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT

    world.customer_sends(bounce, to=mailbox.sender.address)  # where a real one comes back
    read(mailbox)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED


def test_a_name_with_a_line_break_goes_out_on_one_line_and_adds_no_header(
    world, mailbox, customer, alice
):
    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )
    read(mailbox)
    alice.first_name, alice.last_name = "Alice\r\nBcc: spy@evil.test", "Agent"
    alice.save()

    sent = reply(alice, Conversation.objects.get(), "We will look into it.")

    assert sent.status == MessageStatus.SENT
    got = parsed(world.dovecot.mails(customer)[-1])
    assert got["Bcc"] is None
    assert got["From"].addresses[0].display_name == "Alice Bcc: spy@evil.test Agent"


def test_a_temporary_smtp_refusal_is_retried_and_the_mail_sent_once(
    world, mailbox, customer, alice
):
    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )
    read(mailbox)
    world.world.refuse_next = 1
    message = message_send(conversation=Conversation.objects.get(), author=alice, body="Hi")

    first = message_dispatch(message_id=message.pk)
    assert first.retry and first.error.code == "smtp_refused"
    second = message_dispatch(message_id=message.pk)

    assert second.sent
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len([m for m in world.dovecot.mails(customer) if b"Hi" in m]) == 1


def test_a_mail_whose_acceptance_went_unheard_is_never_sent_again(
    world, mailbox, customer, alice, settings
):
    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )
    read(mailbox)
    settings.MAILBOX_TIMEOUT_SECONDS = 1
    world.world.slow_answer = 2.5
    message = message_send(conversation=Conversation.objects.get(), author=alice, body="Once")

    outcome = message_dispatch(message_id=message.pk)

    assert not outcome.retry
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "may have been delivered" in message.error_reason
    assert len([m for m in world.dovecot.mails(customer) if b"Once" in m]) == 1


def test_two_auto_replying_ends_never_loop(world, mailbox, customer, alice):
    from inbox.models import Organisation

    organisation = Organisation.load()
    organisation.greeting = "Thanks for writing to us: we answer within a day."
    organisation.save()
    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )

    # The customer's end answers every mail it gets with an out-of-office (as RFC 3834
    # asks, it marks its own); ours answers a first contact with the greeting.
    for _ in range(4):
        read(mailbox)
        for queued in Message.objects.filter(status=MessageStatus.QUEUED):
            message_dispatch(message_id=queued.pk)
        for raw in world.dovecot.mails(customer)[-1:]:
            got = parsed(raw)
            if got["X-Answered"]:
                continue
            out_of_office = customer_mail(
                frm=customer,
                to=mailbox.sender.address,
                subject=f"Automatic reply: {got['Subject']}",
                text="I am out of the office until Monday.",
                headers={"Auto-Submitted": "auto-replied", "In-Reply-To": got["Message-ID"]},
            )
            world.customer_sends(out_of_office.as_bytes(), to=mailbox.sender.address)
            world.dovecot.deliver(customer, b"X-Answered: yes\r\nSubject: marker\r\n\r\nx\r\n")

    greeting = next(parsed(m) for m in world.dovecot.mails(customer) if b"Thanks for" in m)
    assert greeting["Auto-Submitted"] == "auto-replied"  # RFC 3834: not to be answered
    conversation = Conversation.objects.get()
    bodies = list(conversation.messages.order_by("created_at", "pk").values_list("body", flat=True))
    # One greeting, one out-of-office, and nothing more however long both ends listen.
    assert sorted(bodies) == [
        "Hello, my order 1234 has not arrived.",
        "I am out of the office until Monday.",
        "Thanks for writing to us: we answer within a day.",
    ]


def test_an_out_of_office_never_reopens_a_closed_conversation(world, mailbox, customer, alice):
    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )
    read(mailbox)
    conversation = Conversation.objects.get()
    conversation_set_status(conversation=conversation, status=Conversation.Status.CLOSED, by=alice)
    world.customer_sends(
        customer_mail(
            frm=customer,
            to=mailbox.sender.address,
            text="I am away.",
            headers={"Auto-Submitted": "auto-replied"},
        ).as_bytes(),
        to=mailbox.sender.address,
    )
    read(mailbox)

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED
    assert conversation.waiting_since is None
    assert conversation.messages.count() == 2


def test_the_whole_mail_is_sanitised_and_loads_no_remote_image_until_asked(
    world, mailbox, customer, client, alice, carol, django_assert_max_num_queries
):
    mail = customer_mail(
        frm=customer,
        to=mailbox.sender.address,
        html='<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>'
        '<img src="https://tracker.example/pixel.gif" alt="pixel">',
    )
    world.customer_sends(mail.as_bytes(), to=mailbox.sender.address)
    read(mailbox)
    message = Message.objects.get()
    url = reverse("channels_email:original", args=[message.public_id])

    client.force_login(alice)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "<b>there</b>" in page
    assert "<script>alert" not in page and "steal()" not in page
    assert "tracker.example" not in page
    assert "Show images" in page
    shown = client.get(url + "?images=1")
    assert 'src="https://tracker.example/pixel.gif"' in shown.content.decode()
    assert "img-src 'self' data: https:" in shown["Content-Security-Policy"]

    # The thread links to it; someone who cannot see the conversation cannot read it.
    thread = client.get(reverse("inbox:conversation", args=[message.conversation.public_id]))
    assert url in thread.content.decode()
    assert '<p class="subject"><span class="sr-only">Subject: </span>Where is my order?</p>' in (
        thread.content.decode()
    )
    client.force_login(carol)
    assert client.get(url).status_code == 404


def test_attachments_pass_the_upload_checks(world, mailbox, customer):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    mail = customer_mail(frm=customer, to=mailbox.sender.address, text="See attached.")
    mail.add_attachment(png, maintype="image", subtype="png", filename="photo.png")
    mail.add_attachment(b"<svg onload=alert(1)>", maintype="image", subtype="png", filename="x.png")
    world.customer_sends(mail.as_bytes(), to=mailbox.sender.address)
    read(mailbox)

    message = Message.objects.get()
    kept = list(message.attachments.values_list("original_name", "content_type"))
    assert kept == [("photo.png", "image/png")]
    assert "x.png was not kept" in message.body


def test_the_agents_files_go_out_attached_to_the_reply(world, mailbox, customer, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    world.customer_sends(
        customer_mail(frm=customer, to=mailbox.sender.address).as_bytes(),
        to=mailbox.sender.address,
    )
    read(mailbox)
    conversation = Conversation.objects.get()
    pdf = b"%PDF-1.4\n% the label\n%%EOF\n"
    upload = SimpleUploadedFile("label.pdf", pdf, content_type="application/pdf")
    message = message_send(
        conversation=conversation, author=alice, body="Your label.", media=[upload]
    )
    message_dispatch(message_id=message.pk)
    message.refresh_from_db()

    assert message.status == MessageStatus.SENT
    received = parsed(world.dovecot.mails(customer)[-1])
    (attached,) = list(received.iter_attachments())
    assert attached.get_filename() == "label.pdf"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content() == pdf
    assert received.get_body(("plain",)).get_content().strip() == "Your label."


def test_a_mailbox_is_not_offered_for_a_new_conversation_and_refused_in_words(
    client, alice, mailbox
):
    """An e-mail conversation starts with the customer's own mail."""
    client.force_login(alice)
    response = client.post(
        reverse("inbox:conversation_new"),
        {
            "sender": mailbox.sender.pk,
            "phone": "+12025550123",
            "body": "Hello",
            "idempotency_key": "k1",
        },
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode(), response.context["form"].errors
    assert mailbox.sender.label not in client.get(reverse("inbox:conversation_new")).text
    assert not Conversation.objects.exists()

"""A saved reply's subject (F-TP1) in an e-mail conversation: the compose box's subject,
merged from the contact, becomes the mail's Subject; blank, the thread's latest as "Re: …"."""

import email
import email.policy

import pytest
from django.urls import reverse

from inbox.models import Conversation, CustomField
from inbox.services.saved_replies import saved_reply_save
from tests.channels_email.conftest import customer_mail, read

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def conversation(world, mailbox, customer) -> Conversation:
    mail = customer_mail(frm=customer, to=mailbox.sender.address)
    world.customer_sends(mail.as_bytes(), to=mailbox.sender.address)
    read(mailbox)
    return Conversation.objects.get()


def send(client, conversation, **fields) -> None:
    url = reverse("inbox:send", args=[conversation.public_id])
    response = client.post(url, {"idempotency_key": f"k-{len(fields)}-{id(fields)}", **fields})
    assert response.status_code == 302, response.content.decode()


def last_mail_to(world, customer):
    raw = world.dovecot.mails(customer)[-1]
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_a_saved_replys_subject_is_merged_into_the_compose_box_and_sent_as_the_mails(
    client, alice, conversation, world, customer, tasks
):
    CustomField.objects.create(name="order_id", label="Order ID")
    reply = saved_reply_save(
        by=alice,
        title="Refund",
        subject="Your refund, {{first_name}} ({{order_id}})",
        body="Hello {{first_name}}, it is refunded.",
        shared=False,
    )
    client.force_login(alice)
    window = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert 'id="id_subject"' in window.content.decode()  # e-mail's compose box has one
    picker = client.get(reverse("inbox:reply_picker", args=[conversation.public_id])).content
    # The mail's sender gave the name Jane Doe; the order number is asked for, as the text's.
    assert 'data-subject="Your refund, Jane ({{order_id}})"' in picker.decode()
    assert 'data-key="order_id"' in picker.decode()

    # Without JavaScript: the values asked for, then the window opens with both filled.
    choose = reverse("inbox:reply_choose", args=[conversation.public_id])
    done = client.get(choose, {"reply": reply.public_id, "value-order_id": "A-17"})
    assert done.status_code == 302
    opened = client.get(done.url).content.decode()
    assert 'value="Your refund, Jane (A-17)"' in opened
    assert ">Hello Jane, it is refunded.</textarea>" in opened

    send(client, conversation, subject="Your refund, Jane (A-17)", body="Hello Jane, refunded.")
    tasks.run_all()
    sent = conversation.messages.get(body="Hello Jane, refunded.")
    assert sent.status == "sent" and sent.subject == "Your refund, Jane (A-17)"
    received = last_mail_to(world, customer)
    assert received["Subject"] == "Your refund, Jane (A-17)"
    assert received["In-Reply-To"]  # still threaded: the subject alone changed

    # Left blank, the mail continues the thread's latest subject, as a reply.
    send(client, conversation, subject="", body="Anything else?")
    tasks.run_all()
    assert last_mail_to(world, customer)["Subject"] == "Re: Your refund, Jane (A-17)"


def test_a_subject_with_a_placeholder_left_unfilled_is_not_sent(client, alice, conversation):
    client.force_login(alice)
    url = reverse("inbox:send", args=[conversation.public_id])
    response = client.post(
        url, {"subject": "Order {{order_id}}", "body": "Done.", "idempotency_key": "k-1"}
    )
    assert response.status_code == 422
    assert "Fill in {{order_id}} before sending." in response.content.decode()
    assert not conversation.messages.filter(body="Done.").exists()

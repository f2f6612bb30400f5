"""An e-mail customer answered from the browser, over real IMAP and SMTP servers on loopback."""

import email
import email.policy

import pytest
from playwright.sync_api import expect

from inbox.models import Conversation
from tests.channels_email.conftest import customer_mail, read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_answers_an_email_and_the_customers_answer_joins_the_conversation(
    sign_in,
    alice,
    world,
    mailbox,
    customer,
    tasks,
):
    address = mailbox.sender.address
    mailbox.sender.owner = alice  # her own mailbox: its mail comes to her inbox
    mailbox.sender.save()
    world.customer_sends(customer_mail(frm=customer, to=address).as_bytes(), to=address)
    read(mailbox)
    page = sign_in(alice)

    page.locator(".conversation-row", has_text="my order 1234").click()
    thread = page.locator("#thread")
    expect(thread.locator(".subject")).to_have_text("Subject: Where is my order?")
    expect(thread).to_contain_text("Hello, my order 1234 has not arrived.")
    expect(thread.get_by_role("link", name="Full e-mail")).to_be_visible()

    page.fill("#id_body", "It left this morning!")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".message-out", has_text="It left this morning!")).to_be_visible()
    tasks.run_all()
    expect(page.locator(".message-out", has_text="It left this morning!")).to_have_attribute(
        "data-status", "sent"
    )

    sent = email.message_from_bytes(world.dovecot.mails(customer)[-1], policy=email.policy.default)
    assert sent["Subject"] == "Re: Where is my order?"
    answer = customer_mail(
        frm=customer,
        to=address,
        subject="Re: Where is my order?",
        text="Great, thank you!\n\nOn Mon, Alice <shop@shop.test> wrote:\n> It left this morning!",
        headers={"In-Reply-To": sent["Message-ID"], "References": sent["References"]},
    )
    world.customer_sends(answer.as_bytes(), to=address)
    read(mailbox)

    expect(thread.locator(".message-in", has_text="Great, thank you!")).to_be_visible()
    expect(thread).not_to_contain_text("> It left this morning!")
    assert Conversation.objects.count() == 1


def test_a_saved_reply_with_a_subject_answers_an_email_customer_under_that_subject(
    sign_in, alice, world, mailbox, customer, tasks
):
    from inbox.models import CustomField
    from inbox.services.saved_replies import saved_reply_save

    CustomField.objects.create(name="order_id", label="Order ID")
    saved_reply_save(
        by=alice,
        title="Refund done",
        subject="Refund for order {{order_id}}",
        body="Hello {{first_name}}, order {{order_id}} is refunded.",
        shared=False,
    )
    address = mailbox.sender.address
    mailbox.sender.owner = alice
    mailbox.sender.save()
    world.customer_sends(customer_mail(frm=customer, to=address).as_bytes(), to=address)
    read(mailbox)
    page = sign_in(alice)
    page.locator(".conversation-row", has_text="my order 1234").click()

    page.click(".reply-picker-toggle")
    page.click(".reply-choice:has-text('Refund done')")
    expect(page.locator(".reply-ask")).to_contain_text("Order ID")
    page.get_by_label("Order ID").fill("1234")
    page.click(".reply-ask-insert")
    expect(page.locator("#id_subject")).to_have_value("Refund for order 1234")
    expect(page.locator("#id_body")).to_have_value("Hello Jane, order 1234 is refunded.")
    page.keyboard.press("Control+Enter")
    sent_row = page.locator(".message-out", has_text="order 1234 is refunded")
    expect(sent_row).to_be_visible()
    expect(page.locator("#id_subject")).to_have_value("")  # the next reply starts afresh
    tasks.run_all()
    expect(sent_row).to_have_attribute("data-status", "sent")

    sent = email.message_from_bytes(world.dovecot.mails(customer)[-1], policy=email.policy.default)
    assert sent["Subject"] == "Refund for order 1234"
    answer = customer_mail(
        frm=customer,
        to=address,
        subject="Re: Refund for order 1234",
        text="Received, thanks.",
        headers={"In-Reply-To": sent["Message-ID"], "References": sent["References"]},
    )
    world.customer_sends(answer.as_bytes(), to=address)
    read(mailbox)
    expect(page.locator("#thread .message-in", has_text="Received, thanks.")).to_be_visible()
    assert Conversation.objects.count() == 1

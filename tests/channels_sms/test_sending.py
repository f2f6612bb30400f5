"""Outbound through the Twilio SDK (F-OP2): retried when transient, failed when permanent,
never sent twice, never lost; checked against a Twilio-compatible server on loopback."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inbox.models import Message, MessageStatus, Organisation
from inbox.services.contact_merge import contacts_merge
from inbox.services.sending import SendRefused, message_dispatch, message_send
from inbox.tasks import MAX_SEND_RETRIES, recover_stuck_messages

from ..conftest import receive
from .conftest import ACCOUNT_SID, PUBLIC_BASE_URL, payload

CUSTOMER = "+12025550123"


@pytest.fixture
def send(alice, conversation, django_capture_on_commit_callbacks):
    def send(body="Your order ships today", **kwargs) -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            message = message_send(conversation=conversation, author=alice, body=body, **kwargs)
        return message

    return send


def test_a_send_reaches_twilio_with_the_status_callback(send, fake_twilio, worker):
    message = send()
    worker.run()

    [create] = fake_twilio.creates
    assert create.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert create.value("To") == CUSTOMER
    assert create.value("From") == "+14155550100"
    assert create.value("Body") == "Your order ships today"
    assert create.value("StatusCallback") == f"{PUBLIC_BASE_URL}/webhooks/twilio/status"
    message.refresh_from_db()
    assert message.provider_sid == fake_twilio.messages[0]["sid"]
    assert message.status == MessageStatus.QUEUED


def test_sends_from_one_worker_reuse_one_connection_to_twilio(send, fake_twilio, worker):
    send("First")
    send("Second")
    worker.run()

    assert len(fake_twilio.creates) == 2
    assert fake_twilio.connections_opened == 1


def test_a_500_then_success_sends_once(send, fake_twilio, worker):
    fake_twilio.fail_next(500, message="Internal Server Error")
    message = send()
    worker.run()

    assert len(fake_twilio.creates) == 2  # the failed one, then the one that worked
    assert len(fake_twilio.messages) == 1
    message.refresh_from_db()
    assert message.provider_sid == fake_twilio.messages[0]["sid"]
    assert message.attempts == 2


def test_a_rate_limit_is_retried_not_failed(send, fake_twilio, worker):
    fake_twilio.fail_next(429, code=20429, message="Too Many Requests")
    message = send()
    worker.run()

    message.refresh_from_db()
    assert message.provider_sid and message.status == MessageStatus.QUEUED
    assert len(fake_twilio.messages) == 1


def test_a_permanent_error_fails_at_once_with_the_reason(send, fake_twilio, worker):
    fake_twilio.fail_next(400, code=21211, message="The 'To' number is not a valid phone number.")
    message = send()
    worker.run()

    assert len(fake_twilio.creates) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "21211"
    assert "not valid" in message.error_reason


def test_a_timeout_on_create_is_looked_up_and_not_sent_twice(send, fake_twilio, worker):
    fake_twilio.delay_next(1.5)  # longer than the client's timeout; Twilio creates it anyway
    message = send()
    worker.run()

    assert len(fake_twilio.creates) == 1
    assert len(fake_twilio.lookups) == 1
    assert fake_twilio.lookups[0].query["To"] == [CUSTOMER]
    message.refresh_from_db()
    assert message.provider_sid == fake_twilio.messages[0]["sid"]


def test_an_unreachable_provider_is_retried_then_failed_with_the_reason(send, fake_twilio, worker):
    fake_twilio.stop()
    message = send()
    worker.run()

    assert worker.retried == MAX_SEND_RETRIES
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "network"
    assert "could not be reached" in message.error_reason


def test_a_worker_killed_between_saving_and_sending_is_recovered(send, tasks, fake_twilio, worker):
    message = send()
    tasks.queued.clear()  # the worker took the task, claimed the message and died
    long_ago = timezone.now() - timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(
        created_at=long_ago, dispatch_started_at=long_ago, attempts=1
    )

    assert recover_stuck_messages() == 1
    worker.run()

    assert len(fake_twilio.lookups) == 1  # it might have reached Twilio: looked up first
    assert len(fake_twilio.creates) == 1
    message.refresh_from_db()
    assert message.provider_sid == fake_twilio.messages[0]["sid"]


def test_a_worker_killed_after_twilio_accepted_is_recovered_without_resending(
    send, tasks, fake_twilio, worker
):
    message = send()
    worker.run()
    # The worker died before it could record Twilio's answer.
    long_ago = timezone.now() - timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(
        provider_sid=None, created_at=long_ago, dispatch_started_at=long_ago
    )

    recover_stuck_messages()
    worker.run()

    assert len(fake_twilio.creates) == 1
    message.refresh_from_db()
    assert message.provider_sid == fake_twilio.messages[0]["sid"]


def test_a_message_waiting_for_its_paced_slot_is_not_recovered_early(send, tasks):
    message = send()
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(hours=1),
        scheduled_for=timezone.now() + timedelta(minutes=1),
    )
    tasks.queued.clear()

    assert recover_stuck_messages() == 0


def test_an_opted_out_customer_is_refused_before_twilio_is_called(
    send, tasks, fake_twilio, conversation, worker
):
    queued = send()
    receive(conversation.sender_id, CUSTOMER, "STOP")
    conversation.contact.refresh_from_db()

    with pytest.raises(SendRefused, match="opted out"):
        send("Are you there?")
    worker.run()  # the message queued before the STOP is not sent either

    assert fake_twilio.requests == []
    queued.refresh_from_db()
    assert queued.status == MessageStatus.FAILED
    assert "opted out" in queued.error_reason


def test_outbound_media_go_to_twilio_as_urls_it_can_fetch(send, tasks, fake_twilio, client, worker):
    photo = SimpleUploadedFile("label.png", b"\x89PNG fake", content_type="image/png")
    message = send("", media=[photo])
    worker.run()

    [url] = fake_twilio.creates[0].form["MediaUrl"]
    assert url.startswith(f"{PUBLIC_BASE_URL}/webhooks/twilio/media/")
    assert message.attachments.get().public_id not in url  # signed, not the bare id
    response = client.get(url.removeprefix(PUBLIC_BASE_URL))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == b"\x89PNG fake"


def test_a_forged_media_url_is_404(client):
    assert client.get("/webhooks/twilio/media/abc:def").status_code == 404


def test_help_is_answered_through_twilio(
    post_webhook, ingest, admin, alice_line, fake_twilio, worker, django_capture_on_commit_callbacks
):
    post_webhook("messages", payload("inbound_sms", Body="HELP"))
    with django_capture_on_commit_callbacks(execute=True):
        ingest()
    worker.run()

    [create] = fake_twilio.creates
    assert create.value("To") == CUSTOMER
    assert create.value("Body") == Organisation.load().help_reply


def test_a_whatsapp_send_uses_whatsapp_addresses(
    alice, whatsapp_line, fake_twilio, worker, django_capture_on_commit_callbacks
):
    conversation = receive(whatsapp_line, "+447700900123").conversation
    with django_capture_on_commit_callbacks(execute=True):
        message_send(conversation=conversation, author=alice, body="Hi from WhatsApp")
    worker.run()

    [create] = fake_twilio.creates
    assert create.value("To") == "whatsapp:+447700900123"
    assert create.value("From") == "whatsapp:+14155550150"


def test_a_lookup_does_not_take_an_earlier_message_with_the_same_words(
    send, tasks, fake_twilio, worker
):
    earlier = send("Thanks!")
    worker.run()
    fake_twilio.delay_next(1.5)
    later = send("Thanks!")
    worker.run()

    earlier.refresh_from_db()
    later.refresh_from_db()
    assert len(fake_twilio.creates) == 2
    assert {earlier.provider_sid, later.provider_sid} == {m["sid"] for m in fake_twilio.messages}


def test_a_lookup_finds_the_timed_out_send_behind_more_than_a_page_of_newer_messages(
    send, tasks, fake_twilio
):
    message = send("See you at 3")
    tasks.queued.clear()
    fake_twilio.delay_next(1.5)  # the create times out; Twilio has made the message
    assert message_dispatch(message_id=message.pk, retry_in=2).retry
    [created] = fake_twilio.messages
    for n in range(60):  # other sends to this customer since, by us or anyone
        fake_twilio.add_message(
            to=CUSTOMER, from_="+14155550100", body=f"Reminder {n}", created=timezone.now()
        )
    Message.objects.filter(pk=message.pk).update(scheduled_for=None)

    assert message_dispatch(message_id=message.pk).sent

    assert len(fake_twilio.creates) == 1
    assert len(fake_twilio.lookups) == 2  # two pages of 50
    message.refresh_from_db()
    assert message.provider_sid == created["sid"]


def test_a_lookup_ignores_the_same_words_sent_before_this_send_first_started(
    send, tasks, fake_twilio
):
    message = send("OK")
    tasks.queued.clear()
    # Saved an hour ago and held since (paced, or outside business hours).
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=1))
    # Ten minutes ago, the same words went to the customer from another application.
    earlier = fake_twilio.add_message(
        to=CUSTOMER, from_="+14155550100", body="OK", created=timezone.now() - timedelta(minutes=10)
    )
    fake_twilio.fail_next(500, message="Internal Server Error")
    assert message_dispatch(message_id=message.pk, retry_in=2).retry
    Message.objects.filter(pk=message.pk).update(scheduled_for=None)

    assert message_dispatch(message_id=message.pk).sent

    assert len(fake_twilio.creates) == 2  # looked up, found nothing of this send: created
    message.refresh_from_db()
    assert message.provider_sid not in (None, earlier["sid"])


def test_after_a_merge_each_conversation_sends_to_its_own_number(
    admin, alice, alice_line, conversation, fake_twilio, worker, django_capture_on_commit_callbacks
):
    work = receive(alice_line, "+12025550177").conversation
    contacts_merge(kept=conversation.contact, merged=work.contact, by=admin)
    work.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        message_send(conversation=conversation, author=alice, body="To home")
        message_send(conversation=work, author=alice, body="To work")
    worker.run()

    sent = {create.value("Body"): create.value("To") for create in fake_twilio.creates}
    assert sent == {"To home": CUSTOMER, "To work": "+12025550177"}
    assert work.contact == conversation.contact

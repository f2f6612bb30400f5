"""A broker outage while agents send: the send is saved and shown queued, the page answers
normally, and the message goes out once the broker is back; a retry the worker cannot
publish keeps its place for the stuck-message sweep."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError
from kombu.messaging import Producer

from inbox.models import Contact, ContactImport, Message, MessageStatus, TranscriptExport
from inbox.services.contact_import import import_create, import_start
from inbox.services.transcripts import transcript_export_request
from inbox.tasks import (
    deliver_message,
    recover_stuck_messages,
    release_due_held_messages,
    requeue_lost_contact_imports,
    requeue_waiting_transcripts,
)

from ..conftest import receive
from ..inbox.hours_support import london, set_office_hours

CUSTOMER = "+12025550123"


@pytest.fixture
def broker_down(monkeypatch):
    """Every publish fails as it does with Redis unreachable; ``up()`` ends the outage."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Producer, "publish", refuse)

    class Outage:
        @staticmethod
        def up() -> None:
            monkeypatch.undo()

    return Outage


@pytest.mark.django_db(transaction=True)
def test_a_send_during_a_broker_outage_answers_normally_and_goes_out_when_the_broker_is_back(
    client, alice, alice_line, broker_down, fake_twilio, request
):
    conversation = receive(alice_line, CUSTOMER).conversation
    client.force_login(alice)
    url = reverse("inbox:send", args=[conversation.public_id])

    response = client.post(url, {"body": "Your order ships today", "idempotency_key": "k-1"})

    assert response.status_code == 302
    page = client.get(response.url)
    assert "Your order ships today" in page.text and "Queued" in page.text
    message = Message.objects.get(body="Your order ships today")
    assert message.status == MessageStatus.QUEUED

    broker_down.up()
    worker = request.getfixturevalue("worker")  # the broker answers: tasks are queued again
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):
        assert recover_stuck_messages() == 1
    worker.run()

    [create] = fake_twilio.creates
    assert create.value("Body") == "Your order ships today"
    message.refresh_from_db()
    assert message.provider_sid == fake_twilio.messages[0]["sid"]


@pytest.mark.django_db(transaction=True)
def test_a_retry_that_cannot_be_published_is_sent_by_the_sweep_once_its_back_off_is_over(
    alice, alice_line, fake_twilio, broker_down, request, settings
):
    conversation = receive(alice_line, CUSTOMER).conversation
    message = Message.objects.create(
        conversation=conversation, direction="out", author=alice, body="Back soon",
        status=MessageStatus.QUEUED, channel="sms",
    )  # fmt: skip
    fake_twilio.fail_next(500, message="Internal Server Error")

    # As a worker runs it (not eagerly): the retry is published to the broker, which is down.
    deliver_message.push_request(
        id="task-1", args=[message.pk], kwargs={}, retries=0, called_directly=False
    )
    try:
        deliver_message.run(message.pk)
    finally:
        deliver_message.pop_request()

    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.dispatch_started_at is None
    broker_down.up()
    worker = request.getfixturevalue("worker")
    assert recover_stuck_messages() == 0  # its back-off (2 s) is not over: left alone
    due = message.scheduled_for + timedelta(seconds=settings.STUCK_MESSAGE_AFTER_SECONDS + 1)
    with time_machine.travel(due):
        assert recover_stuck_messages() == 1
    worker.run()

    message.refresh_from_db()
    assert len(fake_twilio.creates) == 2
    assert message.provider_sid == fake_twilio.messages[0]["sid"]


def test_the_sweep_queues_a_send_still_waiting_once_per_period_not_on_every_run(
    alice, alice_line, tasks, settings
):
    """Behind a long backlog a send's task may still be on its way: one more task per
    period, not one per sweep, so the backlog does not grow with copies."""
    conversation = receive(alice_line, CUSTOMER).conversation
    Message.objects.create(
        conversation=conversation, direction="out", author=alice, body="Waiting",
        status=MessageStatus.QUEUED, channel="sms",
        created_at=timezone.now() - timedelta(minutes=5),
    )  # fmt: skip

    assert recover_stuck_messages() == 1
    assert recover_stuck_messages() == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        assert recover_stuck_messages() == 0  # the next sweep, five seconds on
    later = timezone.now() + timedelta(seconds=settings.STUCK_MESSAGE_AFTER_SECONDS + 1)
    with time_machine.travel(later):
        assert recover_stuck_messages() == 1
    assert tasks.names == ["inbox.tasks.deliver_message"] * 2


@pytest.mark.django_db(transaction=True)
def test_a_send_held_for_business_hours_during_an_outage_answers_normally_and_goes_at_opening(
    client, alice, alice_line, broker_down, fake_twilio, request
):
    set_office_hours()
    friday_evening, monday_opening = london(2026, 12, 4, 18, 30), london(2026, 12, 7, 9, 0)
    with time_machine.travel(london(2026, 12, 4, 17, 0), tick=False):
        conversation = receive(alice_line, CUSTOMER).conversation
    client.force_login(alice)
    url = reverse("inbox:send", args=[conversation.public_id])

    with time_machine.travel(friday_evening, tick=False):
        response = client.post(url, {"body": "It left today", "idempotency_key": "k-1"})
        page = client.get(response.url)

    assert response.status_code == 302
    assert "Will be sent Monday 09:00" in page.text
    message = Message.objects.get(body="It left today")
    assert message.status == MessageStatus.SCHEDULED

    broker_down.up()
    worker = request.getfixturevalue("worker")
    with time_machine.travel(monday_opening, tick=False):
        assert release_due_held_messages() == 1
        worker.run()

    [create] = fake_twilio.creates
    assert create.value("Body") == "It left today"


def test_a_transcript_asked_for_during_an_outage_is_saved_and_built_once_the_broker_is_back(
    alice, alice_line, broker_down, django_capture_on_commit_callbacks, request
):
    conversation = receive(alice_line, CUSTOMER).conversation

    with django_capture_on_commit_callbacks(execute=True):
        export = transcript_export_request(conversation=conversation, by=alice)

    assert TranscriptExport.objects.get() == export
    broker_down.up()
    tasks = request.getfixturevalue("tasks")
    assert requeue_waiting_transcripts() == 0  # asked for a moment ago: its task may come
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert requeue_waiting_transcripts() == 1
    tasks.run_all()
    export.refresh_from_db()
    assert export.state == TranscriptExport.State.READY and export.file


def test_a_contacts_import_started_during_an_outage_runs_once_the_broker_is_back(
    admin, broker_down, django_capture_on_commit_callbacks, request
):
    text = "name,phone\nMaria,+12025550123\nBob,+12025550124\n"
    contact_import = import_create(by=admin, file_name="contacts.csv", text=text)

    with django_capture_on_commit_callbacks(execute=True):
        import_start(contact_import=contact_import, mapping={"0": "name", "1": "phone"})

    contact_import.refresh_from_db()
    assert contact_import.state == ContactImport.State.QUEUED
    broker_down.up()
    tasks = request.getfixturevalue("tasks")
    assert requeue_lost_contact_imports() == 0  # started a moment ago: its task may come
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert requeue_lost_contact_imports() == 1
    tasks.run_all()
    contact_import.refresh_from_db()
    assert contact_import.state == ContactImport.State.DONE
    assert Contact.objects.count() == 2

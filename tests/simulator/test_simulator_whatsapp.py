"""The simulator behaves like Twilio on WhatsApp (F-CH3): templates, the window, read."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from inbox.channels import SendError
from inbox.models import Channel, Message, MessageStatus, SenderId, WhatsAppTemplate
from inbox.services.whatsapp_consent import whatsapp_consent_set
from inbox.services.whatsapp_templates import whatsapp_template_send, whatsapp_templates_sync
from simulator.adapter import SimulatorAdapter

from ..conftest import receive


@pytest.fixture
def wa_line(alice):
    return SenderId.objects.create(
        address="whatsapp:+14155550142", channel=Channel.WHATSAPP, owner=alice
    )


def test_the_simulator_lists_demo_templates_approved_and_one_pending(db):
    whatsapp_templates_sync()
    approvals = dict(WhatsAppTemplate.objects.values_list("name", "approval"))
    assert approvals["order_update"] == "approved"
    assert list(approvals.values()).count("pending") == 1


def test_a_consenting_customer_gets_the_template_reported_read(
    wa_line, alice, tasks, django_capture_on_commit_callbacks
):
    whatsapp_templates_sync()
    template = WhatsAppTemplate.objects.get(name="order_update")
    conversation = receive(wa_line, "+12025550123", "Hi").conversation
    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        message = whatsapp_template_send(
            conversation=conversation,
            author=alice,
            template=template,
            values={"1": "Ann", "2": "7"},
        )
    tasks.run_all()
    message.refresh_from_db()
    assert message.status == MessageStatus.READ
    assert message.body == "Hi Ann, your order 7 is on its way. Reply here with any question."


def outbound(conversation, **fields) -> Message:
    return Message.objects.create(
        conversation=conversation,
        direction="out",
        body="Hello",
        status=MessageStatus.QUEUED,
        channel=Channel.WHATSAPP,
        **fields,
    )


def test_freeform_outside_the_window_is_refused_with_63016(wa_line, tasks):
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=25)):
        conversation = receive(wa_line, "+12025550123", "Hi").conversation
    with pytest.raises(SendError) as refused:
        SimulatorAdapter().send(outbound(conversation))
    assert refused.value.code == "63016" and not refused.value.transient


def test_an_unknown_content_sid_is_refused(wa_line, tasks):
    conversation = receive(wa_line, "+12025550123", "Hi").conversation
    with pytest.raises(SendError) as refused:
        SimulatorAdapter().send(outbound(conversation, content_sid="HX" + "f" * 32))
    assert refused.value.code == "21655"


def test_the_customer_phone_shows_the_rendered_template(client, wa_line, alice, tasks):
    whatsapp_templates_sync()
    template = WhatsAppTemplate.objects.get(name="follow_up")
    conversation = receive(wa_line, "+12025550123", "Hi").conversation
    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    whatsapp_template_send(
        conversation=conversation, author=alice, template=template, values={"1": "Ann"}
    )
    client.force_login(alice)
    page = client.get(
        "/simulator/", {"sender": wa_line.public_id, "phone": "+12025550123"}
    ).content.decode()
    assert "Hello Ann, we are following up on your request." in page


def test_beat_keeps_the_templates_fresh(db, settings):
    from channels_whatsapp.tasks import sync_templates

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "channels_whatsapp.tasks.sync_templates" in schedule
    sync_templates.apply()
    assert WhatsAppTemplate.objects.filter(approval="approved").count() == 3

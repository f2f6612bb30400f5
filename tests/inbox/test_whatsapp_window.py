"""WhatsApp's 24-hour customer-care window (F-CP3), at its edges, with a fixed clock."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from inbox.models import Message, MessageStatus
from inbox.services.sending import SendRefused, message_dispatch, message_send

from ..conftest import receive
from ..factories import ConversationFactory

WROTE_AT = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)


def wrote(wa_line, at=WROTE_AT, body="Hello?"):
    with time_machine.travel(at, tick=False):
        return receive(wa_line, "+12025550123", body).conversation


def test_freeform_is_allowed_at_23_59_59_after_the_customer_wrote(wa_line, alice, tasks):
    conversation = wrote(wa_line)
    with time_machine.travel(WROTE_AT + timedelta(hours=23, minutes=59, seconds=59), tick=False):
        message = message_send(conversation=conversation, author=alice, body="Here to help")
    assert message.status == MessageStatus.QUEUED


def test_freeform_is_refused_at_24_00_01_with_the_reason_and_the_way_out(wa_line, alice, tasks):
    conversation = wrote(wa_line)
    closed = WROTE_AT + timedelta(hours=24, seconds=1)
    with time_machine.travel(closed, tick=False), pytest.raises(SendRefused) as refused:
        message_send(conversation=conversation, author=alice, body="Still there?")
    assert str(refused.value) == (
        "The 24-hour window closed at 14:05. Send a registered template to reopen it."
    )
    assert not Message.objects.filter(direction="out").exists()


def test_a_second_customer_message_extends_the_window(wa_line, alice, tasks):
    wrote(wa_line)
    conversation = wrote(wa_line, WROTE_AT + timedelta(hours=10), body="One more thing")
    with time_machine.travel(WROTE_AT + timedelta(hours=30), tick=False):
        message = message_send(conversation=conversation, author=alice, body="Sure")
    assert message.status == MessageStatus.QUEUED


def test_a_number_that_never_wrote_gets_no_freeform(wa_line, alice):

    conversation = ConversationFactory(contact__phone_e164="+12025550123", sender_id=wa_line)
    with pytest.raises(SendRefused, match="has not written on WhatsApp yet"):
        message_send(conversation=conversation, author=alice, body="Hi")


def test_sms_has_no_window(alice_line, alice, tasks):
    conversation = wrote(alice_line)
    message = message_send(conversation=conversation, author=alice, body="Hi, days later")
    assert message.status == MessageStatus.QUEUED


def test_a_message_saved_inside_the_window_but_dispatched_after_it_fails_with_the_reason(
    wa_line, alice, tasks
):
    conversation = wrote(wa_line)
    with time_machine.travel(WROTE_AT + timedelta(hours=23, minutes=59), tick=False):
        message = message_send(conversation=conversation, author=alice, body="Paced reply")
    with time_machine.travel(WROTE_AT + timedelta(hours=24, seconds=1), tick=False):
        message_dispatch(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.provider_sid is None
    assert message.error_reason == (
        "The 24-hour window closed at 14:05. Send a registered template to reopen it."
    )


def test_the_thread_offers_a_template_on_a_message_failed_for_the_window(
    client, wa_line, alice, tasks
):
    conversation = wrote(wa_line)
    with time_machine.travel(WROTE_AT + timedelta(hours=1), tick=False):
        message = message_send(conversation=conversation, author=alice, body="Late")
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, error_code="63016", error_reason="From Twilio"
    )
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id])).content
    templates_url = reverse("inbox:templates", args=[conversation.public_id])
    assert f'<a class="failure-action" href="{templates_url}">Send a template</a>' in page.decode()


def test_twilio_63016_reads_as_the_window_rule():
    from inbox.pure.provider_errors import describe

    assert describe("63016").reason == (
        "The 24-hour WhatsApp window is closed. Send a registered template to reopen it."
    )


def compose(client, conversation):
    return client.get(reverse("inbox:conversation", args=[conversation.public_id])).content.decode()


def test_the_compose_box_shows_the_time_left(client, wa_line, alice):
    conversation = wrote(wa_line)
    client.force_login(alice)
    with time_machine.travel(WROTE_AT + timedelta(hours=20, minutes=48), tick=False):
        page = compose(client, conversation)
    assert 'class="wa-window wa-open"' in page
    assert '<span class="wa-left">3 h 12 min left</span>' in page
    assert 'data-closes-at="2026-03-03T14:05:00+00:00"' in page


def test_the_compose_box_turns_amber_in_the_last_hour(client, wa_line, alice):
    conversation = wrote(wa_line)
    client.force_login(alice)
    with time_machine.travel(WROTE_AT + timedelta(hours=23, minutes=1), tick=False):
        page = compose(client, conversation)
    assert 'class="wa-window wa-open wa-closing"' in page
    assert "59 min left" in page


def test_a_closed_window_hides_freeform_and_opens_the_template_picker(
    client, wa_line, alice, order_template
):
    conversation = wrote(wa_line)
    client.force_login(alice)
    with time_machine.travel(WROTE_AT + timedelta(hours=25), tick=False):
        page = compose(client, conversation)
    assert "The 24-hour window closed at 14:05." in page
    assert '<details class="template-picker" id="template-picker" open>' in page
    assert "order_update" in page
    assert (
        'id="compose" class="compose compose-send"' in page
        and "hidden" in page.split('id="compose"')[1][:600]
    )


def test_a_closed_compose_box_reopens_when_the_customer_writes(client, wa_line, alice):
    conversation = wrote(wa_line, datetime.now(UTC) - timedelta(hours=30))
    client.force_login(alice)
    url = reverse("inbox:compose_refresh", args=[conversation.public_id])
    assert client.get(url).status_code == 204
    receive(wa_line, "+12025550123", "Back again")
    response = client.get(url)
    assert response.status_code == 200
    assert "Window open · " in response.content.decode()
    assert (
        'id="compose" class="compose compose-send" hx-swap-oob="true"' in response.content.decode()
    )


def test_the_compose_view_refuses_freeform_outside_the_window(client, wa_line, alice, tasks):
    conversation = wrote(wa_line)
    client.force_login(alice)
    url = reverse("inbox:send", args=[conversation.public_id])
    with time_machine.travel(WROTE_AT + timedelta(days=2), tick=False):
        response = client.post(url, {"body": "Hello", "idempotency_key": "k1"})
    assert response.status_code == 422
    assert "The 24-hour window closed at" in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()

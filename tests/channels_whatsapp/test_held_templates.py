"""WhatsApp sends held for business hours: a template keeps its registered text, is checked
again at release, and a freeform that would outlive the 24-hour window is refused."""

import json

import pytest
import time_machine
from django.urls import reverse

from inbox.models import Message, MessageStatus, WhatsAppTemplate
from inbox.services.whatsapp_consent import whatsapp_consent_set
from inbox.tasks import release_due_held_messages

from ..conftest import receive
from ..inbox.hours_support import london, set_office_hours

CUSTOMER = "+12025550123"
FRIDAY_AFTERNOON = london(2026, 12, 4, 17, 0)
FRIDAY_EVENING = london(2026, 12, 4, 18, 30)
SATURDAY = london(2026, 12, 5, 10, 0)
MONDAY_OPENING = london(2026, 12, 7, 9, 0)


@pytest.fixture
def conversation(wa_line, alice):
    """A customer who wrote on Thursday: by Friday evening the window is closed."""
    set_office_hours()
    with time_machine.travel(london(2026, 12, 3, 17, 0), tick=False):
        conversation = receive(wa_line, CUSTOMER, "Hi").conversation
    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    return conversation


@pytest.fixture
def held_template(client, alice, conversation, order_template, tasks):
    """Alice's template, sent on Friday evening after closing from the compose box."""
    client.force_login(alice)
    url = reverse("inbox:templates", args=[conversation.public_id])
    data = {"sid": order_template.content_sid, "idempotency_key": "k-1"}
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        response = client.post(url, data | {"var_1": "Maria", "var_2": "A-17"})
    assert response.status_code == 302
    message = Message.objects.get(direction="out")
    assert message.status == MessageStatus.SCHEDULED
    return message


def release(tasks, django_capture_on_commit_callbacks):
    """Monday's opening: the beat sweep releases what was held, a worker sends it."""
    with time_machine.travel(MONDAY_OPENING, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            release_due_held_messages()
        tasks.run_all()


def edit_url(message):
    return reverse("inbox:held_message", args=[message.conversation.public_id, message.public_id])


def test_a_held_template_changes_its_variables_and_the_customer_gets_what_the_thread_shows(
    client, held_template, fake_twilio, tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(SATURDAY, tick=False):
        page = client.get(edit_url(held_template))
        assert 'name="body"' not in page.text  # no free text to change
        assert 'name="var_2"' in page.text
        response = client.post(
            edit_url(held_template),
            {"sid": held_template.content_sid, "idempotency_key": "k-2", "var_1": "Maria",
             "var_2": "B-99"},
        )  # fmt: skip
    assert response.status_code == 302

    release(tasks, django_capture_on_commit_callbacks)

    [create] = fake_twilio.creates
    assert create.value("ContentSid") == held_template.content_sid
    assert json.loads(create.value("ContentVariables")) == {"1": "Maria", "2": "B-99"}
    with time_machine.travel(MONDAY_OPENING, tick=False):
        thread = client.get(
            reverse("inbox:conversation", args=[held_template.conversation.public_id])
        )
    assert "Hi Maria, your order B-99 is on its way." in thread.text
    assert "A-17" not in thread.text


def test_a_held_templates_text_cannot_be_edited_into_something_never_sent(
    client, held_template, fake_twilio, tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(SATURDAY, tick=False):
        response = client.post(edit_url(held_template), {"body": "Free text instead"})
    assert response.status_code == 422
    held_template.refresh_from_db()
    assert held_template.body == "Hi Maria, your order A-17 is on its way."

    release(tasks, django_capture_on_commit_callbacks)
    [create] = fake_twilio.creates
    assert json.loads(create.value("ContentVariables")) == {"1": "Maria", "2": "A-17"}


def test_a_template_paused_while_held_is_not_sent_and_the_thread_says_why(
    client, held_template, order_template, fake_twilio, tasks, django_capture_on_commit_callbacks
):
    order_template.approval = WhatsAppTemplate.Approval.PAUSED
    order_template.save()

    with time_machine.travel(SATURDAY, tick=False):
        page = client.get(edit_url(held_template))
    assert "“order_update” is paused at WhatsApp" in page.text
    assert "Cancel this message" in page.text

    release(tasks, django_capture_on_commit_callbacks)

    assert fake_twilio.creates == []
    held_template.refresh_from_db()
    assert held_template.status == MessageStatus.FAILED
    with time_machine.travel(MONDAY_OPENING, tick=False):
        thread = client.get(
            reverse("inbox:conversation", args=[held_template.conversation.public_id])
        )
    assert "“order_update” is paused at WhatsApp, not approved, so it cannot be sent" in thread.text


def test_a_template_paused_after_it_was_picked_shows_the_reason_in_the_page(
    client, alice, conversation, order_template
):
    client.force_login(alice)
    url = reverse("inbox:templates", args=[conversation.public_id])
    order_template.approval = WhatsAppTemplate.Approval.PAUSED
    order_template.save()

    opened = client.get(url, {"sid": order_template.content_sid}, headers={"HX-Request": "true"})
    sent = client.post(
        url,
        {"sid": order_template.content_sid, "idempotency_key": "k-1", "var_1": "M", "var_2": "1"},
        headers={"HX-Request": "true"},
    )

    assert opened.status_code == 200
    assert "“order_update” is paused at WhatsApp" in opened.text
    assert sent.status_code == 422
    assert "“order_update” is paused at WhatsApp" in sent.text
    assert not Message.objects.filter(direction="out").exists()


def test_a_freeform_that_would_be_held_past_the_window_is_refused_with_the_template_way(
    client, alice, wa_line
):
    set_office_hours()
    with time_machine.travel(london(2026, 12, 4, 18, 29), tick=False):
        conversation = receive(wa_line, CUSTOMER, "Hi").conversation
    client.force_login(alice)
    url = reverse("inbox:send", args=[conversation.public_id])

    # Saturday 18:28: one minute of window left, and the hours open on Monday.
    with time_machine.travel(london(2026, 12, 5, 18, 28), tick=False):
        response = client.post(url, {"body": "Still there?", "idempotency_key": "k-1"})

        htmx = client.post(
            url, {"body": "Still there?", "idempotency_key": "k-2"}, headers={"HX-Request": "true"}
        )

    for answer in (response, htmx):
        assert answer.status_code == 422
        assert "would wait until Monday 09:00" in answer.text
        assert "window closes Saturday 18:29" in answer.text
        # The template picker, opened on the same screen.
        assert '<details class="template-picker" id="template-picker" open>' in answer.text
    assert not Message.objects.filter(direction="out").exists()


def test_a_freeform_held_within_the_window_is_still_held(client, alice, wa_line):
    set_office_hours()
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        conversation = receive(wa_line, CUSTOMER, "Hi").conversation
    client.force_login(alice)
    url = reverse("inbox:send", args=[conversation.public_id])

    with time_machine.travel(FRIDAY_EVENING, tick=False):
        response = client.post(url, {"body": "Tomorrow?", "idempotency_key": "k-1"})

    assert response.status_code == 422  # the window closes Saturday 17:00, before Monday
    set_office_hours(week={str(d): [["09:00", "18:00"]] for d in range(7)})
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        response = client.post(url, {"body": "Tomorrow?", "idempotency_key": "k-2"})
    assert response.status_code == 302  # open on Saturday 09:00, inside the window
    assert Message.objects.get(direction="out").status == MessageStatus.SCHEDULED

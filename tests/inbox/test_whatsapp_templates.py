"""Registered WhatsApp templates (F-TP2, F-TP3): consent, variables, picker, first message."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from inbox.models import Conversation, Message, WhatsAppTemplate
from inbox.services.sending import SendRefused, message_dispatch
from inbox.services.whatsapp_consent import whatsapp_consent_set
from inbox.services.whatsapp_templates import whatsapp_template_send

from ..conftest import receive


@pytest.fixture
def settle_counts(monkeypatch):
    """Unread counts are kept from the first request on, whatever the machine's speed."""
    from inbox import versions

    monkeypatch.setattr(versions, "COMMIT_SLACK", timedelta(0))


@pytest.fixture
def conversation(wa_line):
    return receive(wa_line, "+12025550123", "Hi").conversation


def consent(contact, actor=None):
    whatsapp_consent_set(contact=contact, granted=True, source="verbal", actor=actor)


def send(conversation, alice, template, values):
    return whatsapp_template_send(
        conversation=conversation, author=alice, template=template, values=values
    )


def test_a_template_is_stored_as_the_customer_sees_it_with_its_sid_and_variables(
    conversation, alice, order_template, tasks
):
    consent(conversation.contact)
    message = send(conversation, alice, order_template, {"1": "Maria", "2": "A-17"})
    assert message.body == "Hi Maria, your order A-17 is on its way."
    assert message.content_sid == order_template.content_sid
    assert message.content_variables == {"1": "Maria", "2": "A-17"}


def test_a_template_needs_the_customers_recorded_opt_in(conversation, alice, order_template):
    with pytest.raises(SendRefused, match="WhatsApp opt-in is not recorded"):
        send(conversation, alice, order_template, {"1": "Maria", "2": "A-17"})
    assert not Message.objects.filter(direction="out").exists()


def test_an_empty_variable_stops_the_send_and_is_named(conversation, alice, order_template):
    consent(conversation.contact)
    with pytest.raises(SendRefused) as refused:
        send(conversation, alice, order_template, {"1": "Maria", "2": "  "})
    assert str(refused.value) == "Fill in {{2}} before sending “order_update”."
    with pytest.raises(SendRefused, match=r"Fill in \{\{1\}\}, \{\{2\}\}"):
        send(conversation, alice, order_template, {})


def test_a_pending_template_is_not_sent(conversation, alice, order_template):
    consent(conversation.contact)
    order_template.approval = WhatsAppTemplate.Approval.PENDING
    order_template.save()
    with pytest.raises(SendRefused, match="not approved"):
        send(conversation, alice, order_template, {"1": "Maria", "2": "A-17"})


def test_stop_on_whatsapp_opts_out_and_blocks_templates(conversation, alice, order_template):
    consent(conversation.contact)
    receive(conversation.sender_id, "+12025550123", "STOP")
    conversation.contact.refresh_from_db()
    assert conversation.contact.whatsapp_consent_at is None
    with pytest.raises(SendRefused):
        send(conversation, alice, order_template, {"1": "Maria", "2": "A-17"})
    receive(conversation.sender_id, "+12025550123", "START")
    conversation.contact.refresh_from_db()
    with pytest.raises(SendRefused, match="opt-in is not recorded"):
        send(conversation, alice, order_template, {"1": "Maria", "2": "A-17"})


def test_a_template_goes_outside_the_window_but_not_after_consent_is_withdrawn(
    wa_line, alice, order_template, tasks
):
    from datetime import UTC, datetime, timedelta

    import time_machine

    with time_machine.travel(datetime.now(UTC) - timedelta(days=3)):
        conversation = receive(wa_line, "+12025550123", "Hi").conversation
    consent(conversation.contact)
    message = send(conversation, alice, order_template, {"1": "Maria", "2": "A-17"})
    whatsapp_consent_set(contact=conversation.contact, granted=False, source="entered", actor=alice)
    message_dispatch(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed"
    assert "opt-in is not recorded" in message.error_reason


def test_the_picker_searches_approved_templates_by_name_and_text(
    client, conversation, alice, order_template
):
    WhatsAppTemplate.objects.create(
        content_sid="HX" + "b" * 32,
        name="follow_up",
        body="Hello {{1}}, checking in.",
        approval="approved",
    )
    WhatsAppTemplate.objects.create(
        content_sid="HX" + "c" * 32, name="sale", body="Sale on shoes", approval="pending"
    )
    client.force_login(alice)
    url = reverse("inbox:templates", args=[conversation.public_id])
    by_text = client.get(url, {"q": "on its way"}, headers={"HX-Request": "true"}).content
    assert b"order_update" in by_text and b"follow_up" not in by_text
    by_name = client.get(url, {"q": "FOLLOW"}, headers={"HX-Request": "true"}).content
    assert b"follow_up" in by_name and b"order_update" not in by_name
    pending = client.get(url, {"q": "shoes"}, headers={"HX-Request": "true"}).content
    assert b"No approved template matches" in pending


def test_opening_a_template_fills_variables_from_the_contact(
    client, conversation, alice, order_template
):
    conversation.contact.display_name = "Maria"
    conversation.contact.save()
    client.force_login(alice)
    url = reverse("inbox:templates", args=[conversation.public_id])
    page = client.get(url, {"sid": order_template.content_sid}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert 'name="var_1" value="Maria"' in html
    assert 'name="var_2"' in html and 'placeholder="12345"' in html
    assert "Hi Maria, your order {{2}} is on its way." in html


def test_sending_from_the_picker_shows_the_text_with_a_template_mark(
    client, conversation, alice, order_template, tasks
):
    consent(conversation.contact)
    client.force_login(alice)
    url = reverse("inbox:templates", args=[conversation.public_id])
    data = {"sid": order_template.content_sid, "idempotency_key": "t1", "var_1": "Maria"}
    refused = client.post(url, data | {"var_2": ""}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "Fill in {{2}} before sending" in refused.content.decode()
    sent = client.post(url, data | {"var_2": "A-17"}, headers={"HX-Request": "true"})
    assert sent.status_code == 200
    html = sent.content.decode()
    assert (
        '<span class="template-mark" title="Registered WhatsApp template">Template</span>' in html
    )
    assert "Hi Maria, your order A-17 is on its way." in html
    assert Message.objects.get(direction="out").content_sid == order_template.content_sid


def test_a_new_whatsapp_conversation_starts_with_a_template_and_records_consent(
    client, wa_line, alice, order_template, tasks
):
    client.force_login(alice)
    url = reverse("inbox:conversation_new_template")
    first = {
        "sender": wa_line.public_id,
        "phone": "+1 202 555 0199",
        "template": order_template.content_sid,
        "consent": "web_form",
        "step": "fill",
    }
    step = client.post(url, first)
    assert step.status_code == 200 and 'name="var_2"' in step.content.decode()
    response = client.post(
        url, first | {"step": "send", "var_1": "Sam", "var_2": "B-2", "idempotency_key": "n1"}
    )
    conversation = Conversation.objects.get(contact__phone_e164="+12025550199")
    assert response.status_code == 302
    assert conversation.messages.get().body == "Hi Sam, your order B-2 is on its way."
    assert conversation.contact.consents.get().source == "web_form"


def test_a_new_whatsapp_template_conversation_without_consent_is_refused(
    client, wa_line, alice, order_template
):
    client.force_login(alice)
    data = {
        "sender": wa_line.public_id,
        "phone": "+12025550199",
        "template": order_template.content_sid,
        "step": "send",
        "var_1": "Sam",
        "var_2": "B-2",
        "idempotency_key": "n2",
    }
    response = client.post(reverse("inbox:conversation_new_template"), data)
    assert response.status_code == 422
    assert "opt-in is not recorded" in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_freeform_first_message_on_whatsapp_is_refused_with_the_reason(client, wa_line, alice):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:conversation_new"),
        {"sender": wa_line.pk, "phone": "+12025550199", "body": "Hi!", "idempotency_key": "f1"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "has not written on WhatsApp yet" in page
    assert template_start(wa_line, "+12025550199") in page  # the way out, without JavaScript
    assert not Conversation.objects.exists()


def template_start(sender, phone: str) -> str:
    query = urlencode({"sender": sender.public_id, "phone": phone})
    return f'href="{reverse("inbox:conversation_new_template")}?{query}"'.replace("&", "&amp;")


def test_picking_a_whatsapp_sender_puts_the_template_start_in_place_of_the_body(
    client, wa_line, alice_line, alice
):
    client.force_login(alice)
    picked = reverse("inbox:conversation_new_sender")
    notice = client.get(
        picked, {"sender": wa_line.pk, "phone": "+1 202 555 0199"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "sender-notice-template" in notice  # hides the body and Send
    assert template_start(wa_line, "+1 202 555 0199") in notice
    assert ", load" not in notice  # the swapped-in notice does not ask again
    sms = client.get(picked, {"sender": alice_line.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "sender-notice-template" not in sms and "Start with a template" not in sms

    start = client.get(reverse("inbox:conversation_new_template"), {"sender": wa_line.public_id})
    assert f'value="{wa_line.public_id}" selected' in start.content.decode()


def test_without_htmx_the_new_conversation_page_keeps_its_body(client, wa_line, alice):
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation_new"), {"sender": wa_line.pk}).content.decode()
    assert 'name="body"' in page and "sender-notice-template" not in page
    assert template_start(wa_line, "") in page
    assert ", load" in page  # with htmx, the notice is fetched at once and hides the body


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("get", {"q": "order"}),
        ("get", {"sid": "HX" + "a" * 32}),
        ("post", {"sid": "HX" + "a" * 32}),
    ],
)
def test_the_picker_is_404_for_another_agent_and_login_for_anonymous(
    client, conversation, carol, order_template, method, params
):
    url = reverse("inbox:templates", args=[conversation.public_id])
    anonymous = getattr(client, method)(url, params)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(carol)
    assert getattr(client, method)(url, params).status_code == 404


def test_an_unknown_template_is_404(client, conversation, alice):
    client.force_login(alice)
    url = reverse("inbox:templates", args=[conversation.public_id])
    assert client.get(url, {"sid": "HXnope"}).status_code == 404
    assert client.post(url, {"sid": "HXnope"}).status_code == 404


def test_the_new_template_conversation_page_needs_a_login(client):
    response = client.get(reverse("inbox:conversation_new_template"))
    assert response.status_code == 302


def test_the_picker_search_costs_a_fixed_number_of_queries(
    client, conversation, alice, order_template, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("inbox:templates", args=[conversation.public_id])
    # session, user, the user's reach, the conversation, the templates
    with django_assert_num_queries(5):
        client.get(url, {"q": "order"}, headers={"HX-Request": "true"})


def test_without_javascript_a_template_opens_on_the_conversation_page(
    client, conversation, alice, order_template
):
    client.force_login(alice)
    url = reverse("inbox:templates", args=[conversation.public_id])
    page = client.get(url, {"sid": order_template.content_sid})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="thread"' in html and 'name="var_2"' in html


def test_the_whatsapp_window_costs_a_fixed_number_of_queries(
    client, conversation, alice, order_template, django_assert_num_queries, settle_counts
):
    client.force_login(alice)
    url = reverse("inbox:conversation", args=[conversation.public_id])
    client.get(url)
    with django_assert_num_queries(WHATSAPP_WINDOW_QUERIES):
        client.get(url)
    for n in range(5):
        receive(conversation.sender_id, "+12025550123", f"More {n}")
        WhatsAppTemplate.objects.create(content_sid=f"HX{n}", name=f"t{n}", approval="approved")
        consent(conversation.contact, actor=alice)
        whatsapp_consent_set(
            contact=conversation.contact, granted=False, source="entered", actor=alice
        )
    client.get(url)  # marks the new messages read
    with django_assert_num_queries(WHATSAPP_WINDOW_QUERIES):
        client.get(url)


# The window's usual queries (test_conversation_window, counts kept, with the rows' and the
# conversation's labels and its mentions marked seen, the business hours) plus two: the
# templates and the WhatsApp consent history.
WHATSAPP_WINDOW_QUERIES = 19


def test_the_new_template_conversation_page_costs_a_fixed_number_of_queries(
    client, wa_line, alice, order_template, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("inbox:conversation_new_template")
    client.get(url)
    for n in range(3):
        WhatsAppTemplate.objects.create(content_sid=f"HX{n}", name=f"t{n}", approval="approved")
    # session, user, the top bar's unread count, the sender IDs (one: it is the choice), the
    # templates; the same with more templates
    with django_assert_num_queries(5):
        client.get(url)

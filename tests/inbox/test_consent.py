"""Opt-out, opt-in and HELP keywords (F-CP1), on every channel."""

import pytest

from inbox.models import (
    ConsentRecord,
    Contact,
    ConversationEvent,
    Message,
    MessageDirection,
    MessageStatus,
    Organisation,
)
from inbox.services.consent import keyword_intent
from inbox.services.sending import SendRefused, message_send
from simulator.services import customer_reply

from ..conftest import receive

CUSTOMER = "+12025550123"


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        " Stop. ",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
    ],
)
def test_each_opt_out_keyword_opts_out(body):
    assert keyword_intent(body=body) == "opt_out"


@pytest.mark.parametrize("body", ["START", "yes", "Unstop!"])
def test_each_opt_in_keyword_opts_in(body):
    assert keyword_intent(body=body) == "opt_in"


@pytest.mark.parametrize("body", ["Please stop calling me", "stop it", "Can you help?", ""])
def test_a_keyword_inside_a_sentence_is_a_plain_message(body):
    assert keyword_intent(body=body) == ""


def test_the_providers_opt_out_signal_wins_over_the_words():
    assert keyword_intent(body="Arrêt", provider_signal="STOP") == "opt_out"
    assert keyword_intent(body="Hello", provider_signal="START") == "opt_in"


def test_stop_opts_the_customer_out_with_history_and_an_event(alice_line):
    message = receive(alice_line, CUSTOMER, "STOP")

    contact = Contact.objects.get()
    assert contact.sms_opted_out_at is not None
    record = ConsentRecord.objects.get()
    assert (record.kind, record.source, record.channel) == ("opt_out", "keyword", "sms")
    event = ConversationEvent.objects.get(conversation=message.conversation)
    assert event.kind == ConversationEvent.Kind.OPTED_OUT
    assert message.body == "STOP"  # the customer's message itself is kept in the thread


def test_nothing_is_sent_to_an_opted_out_customer(alice, alice_line, tasks):
    conversation = receive(alice_line, CUSTOMER, "STOP").conversation

    with pytest.raises(SendRefused, match="opted out"):
        message_send(conversation=conversation, author=alice, body="Come back!")
    assert not Message.objects.filter(direction=MessageDirection.OUTBOUND).exists()


def test_start_opts_back_in_and_sending_works_again(
    alice, alice_line, tasks, django_capture_on_commit_callbacks
):
    receive(alice_line, CUSTOMER, "STOP")
    conversation = receive(alice_line, CUSTOMER, "START").conversation

    assert conversation.contact.sms_opted_out_at is None
    assert list(ConsentRecord.objects.order_by("at", "pk").values_list("kind", flat=True)) == [
        "opt_out",
        "opt_in",
    ]
    assert conversation.events.filter(kind=ConversationEvent.Kind.OPTED_IN).exists()
    with django_capture_on_commit_callbacks(execute=True):
        message_send(conversation=conversation, author=alice, body="Welcome back")
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_a_second_stop_records_nothing_new(alice_line):
    receive(alice_line, CUSTOMER, "STOP")
    receive(alice_line, CUSTOMER, "QUIT")

    assert ConsentRecord.objects.count() == 1
    assert ConversationEvent.objects.count() == 1


def test_help_is_answered_with_the_organisations_text(
    admin, alice_line, tasks, django_capture_on_commit_callbacks
):
    org = Organisation.load()
    org.help_reply = "Acme support: reply STOP to stop, or write to us here."
    org.save()

    with django_capture_on_commit_callbacks(execute=True):
        receive(alice_line, CUSTOMER, "HELP")

    reply = Message.objects.get(direction=MessageDirection.OUTBOUND)
    assert reply.body == org.help_reply
    assert reply.status == MessageStatus.QUEUED and reply.author is None
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_help_from_an_opted_out_customer_is_still_answered_and_delivered(
    admin, alice_line, tasks, django_capture_on_commit_callbacks
):
    receive(alice_line, CUSTOMER, "STOP")
    with django_capture_on_commit_callbacks(execute=True):
        receive(alice_line, CUSTOMER, "INFO")

    reply = Message.objects.get(direction=MessageDirection.OUTBOUND)
    assert reply.body == Organisation.load().help_reply
    tasks.run_all()
    reply.refresh_from_db()
    assert reply.status != MessageStatus.FAILED
    assert reply.provider_sid


def test_the_refusal_names_the_keyword_the_customer_sent(admin, alice, alice_line):
    conversation = receive(alice_line, CUSTOMER, "Hi").conversation
    receive(alice_line, CUSTOMER, "Unsubscribe!")

    assert ConsentRecord.objects.get().detail == "UNSUBSCRIBE"
    conversation.contact.refresh_from_db()
    with pytest.raises(SendRefused, match=r"they sent UNSUBSCRIBE on ") as refused:
        message_send(conversation=conversation, author=alice, body="Still there?")
    assert "STOP" not in str(refused.value)


def test_a_provider_signal_still_records_the_customers_own_word(admin, alice_line):
    from inbox.services.consent import inbound_keywords_apply

    conversation = receive(alice_line, CUSTOMER, "Hi").conversation
    inbound_keywords_apply(conversation=conversation, body="quit", provider_signal="STOP")

    assert ConsentRecord.objects.get().detail == "QUIT"


def test_the_simulators_customer_phone_can_opt_out_too(alice_line):
    customer_reply(sender=alice_line, customer_phone=CUSTOMER, body="Unsubscribe")

    assert Contact.objects.get().sms_opted_out_at is not None


def test_the_panel_and_the_compose_box_show_the_opt_out_before_a_send_fails(
    client, admin, alice, alice_line
):
    from django.urls import reverse

    conversation = receive(alice_line, CUSTOMER, "Hi").conversation
    receive(alice_line, CUSTOMER, "quit")
    client.force_login(alice)

    html = client.get(reverse("inbox:conversation", args=[conversation.public_id])).content
    html = html.decode()
    assert '<dd class="opt-out"><strong>Opted out</strong>: sent QUIT, <time' in html
    assert '<p class="compose-opted-out" role="status"><strong>Nothing can be sent.' in html
    assert "The customer opted out (they sent QUIT on " in html
    assert 'id="id_body"' not in html  # no reply box to type into in vain


def test_the_default_help_answer_says_how_to_opt_back_in(admin, alice_line, tasks):
    receive(alice_line, CUSTOMER, "HELP")

    reply = Message.objects.get(direction=MessageDirection.OUTBOUND)
    assert "START" in reply.body and "STOP" in reply.body


def whatsapp_panel(client, user, conversation) -> str:
    from django.urls import reverse

    client.force_login(user)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    html = page.content.decode()
    return html[html.index('id="wa-consent"') : html.index("</section>", html.index("wa-consent"))]


def test_one_stop_on_whatsapp_is_one_row_in_the_history(client, admin, alice, wa_line):
    from inbox.services.whatsapp_consent import whatsapp_consent_set

    conversation = receive(wa_line, CUSTOMER, "Hi").conversation
    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    receive(wa_line, CUSTOMER, "STOP")

    rows = list(ConsentRecord.objects.order_by("at", "pk").values_list("channel", "kind", "source"))
    assert rows == [("whatsapp", "opt_in", "verbal"), ("whatsapp", "opt_out", "keyword")]
    panel = whatsapp_panel(client, alice, conversation)
    assert panel.count("Opted out · Customer keyword") == 1
    assert "Opted out (sent STOP, " in panel


def test_a_stop_by_sms_ends_whatsapp_consent_and_the_whatsapp_panel_says_why(
    client, admin, alice, alice_line, wa_line
):
    from inbox.services.whatsapp_consent import whatsapp_consent_set

    whatsapp = receive(wa_line, CUSTOMER, "Hi").conversation
    whatsapp_consent_set(contact=whatsapp.contact, granted=True, source="verbal", actor=alice)
    receive(alice_line, CUSTOMER, "STOP")

    whatsapp.contact.refresh_from_db()
    assert whatsapp.contact.whatsapp_consent_at is None
    assert ConsentRecord.objects.filter(kind="opt_out").count() == 1
    panel = whatsapp_panel(client, alice, whatsapp)
    assert "Opted out · Customer keyword" in panel
    assert "Opted in 7" not in panel and "consent-yes" not in panel


def test_start_on_whatsapp_is_an_sms_resubscription_not_a_whatsapp_opt_in(
    client, admin, alice, wa_line, order_template
):
    from django.urls import reverse

    from inbox.services.whatsapp_templates import whatsapp_template_send

    receive(wa_line, CUSTOMER, "STOP")
    conversation = receive(wa_line, CUSTOMER, "START").conversation

    start = ConsentRecord.objects.order_by("at", "pk").last()
    assert (start.channel, start.kind, start.detail) == ("sms", "opt_in", "START")
    panel = whatsapp_panel(client, alice, conversation)
    assert "No opt-in recorded: templates cannot be sent." in panel
    assert "Opted in ·" not in panel  # the history shows no WhatsApp opt-in
    assert "Record opt-in" in panel  # no longer opted out: an agent may record one
    with pytest.raises(SendRefused, match="opt-in is not recorded"):
        whatsapp_template_send(
            conversation=conversation,
            author=alice,
            template=order_template,
            values={"1": "Maria", "2": "A-17"},
        )
    contact_page = client.get(
        reverse("inbox:contact_detail", args=[conversation.contact.public_id])
    )
    assert "Opted in (SMS/MMS, Customer keyword: START)" in contact_page.content.decode()

"""The Twilio webhooks (F-OP1): signed, idempotent, answered with empty TwiML."""

import logging

from django.urls import reverse
from twilio.request_validator import RequestValidator

from channels_twilio.models import InboundWebhook
from inbox.models import Attachment, Channel, Contact, Message, MessageStatus, SenderId

from .conftest import AUTH_TOKEN, payload, sign


def test_an_inbound_sms_is_stored_in_the_sender_owners_inbox(
    post_webhook, ingest, alice, alice_line
):
    response = post_webhook("messages", payload("inbound_sms"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode().endswith("<Response/>")
    assert ingest() == 1
    message = Message.objects.get()
    assert message.channel == Channel.SMS
    assert message.provider_sid == "SM3b0b1b7d7c5f4a0e9c2d1f6a8e4b2c01"
    assert message.body == "Hi, is my order on its way? 📦"
    assert message.status == MessageStatus.RECEIVED
    assert message.conversation.contact.phone_e164 == "+12025550123"
    assert message.conversation.owner == alice


def test_duplicate_webhook_stores_one_message(post_webhook, ingest, alice_line, tasks):
    first = post_webhook("messages", payload("inbound_mms"))
    second = post_webhook("messages", payload("inbound_mms"))

    assert first.status_code == second.status_code == 200
    assert InboundWebhook.objects.count() == 1
    assert ingest() == 1
    assert Message.objects.count() == 1
    assert Attachment.objects.count() == 1
    assert tasks.names == ["channels_twilio.tasks.fetch_inbound_media"]


def test_forged_signature_is_403_and_stores_nothing(post_webhook, alice_line, caplog):
    params = payload("inbound_sms")
    with caplog.at_level(logging.WARNING, logger="channels_twilio.signature"):
        forged = post_webhook("messages", params, signature=sign("/x", params, "not-the-token"))
        missing = post_webhook("messages", params, signature="")

    assert forged.status_code == missing.status_code == 403
    assert not InboundWebhook.objects.exists() and not Contact.objects.exists()
    assert "https://converse.example.com/webhooks/twilio/messages" in caplog.text


def test_a_tampered_body_is_403(client, alice_line):
    params = payload("inbound_sms")
    path = reverse("channels_twilio:messages")
    signature = sign(path, params)

    response = client.post(
        path, params | {"Body": "Something else"}, headers={"X-Twilio-Signature": signature}
    )

    assert response.status_code == 403
    assert not InboundWebhook.objects.exists()


def test_the_signature_is_checked_against_the_public_url_not_the_internal_host(client, alice_line):
    params = payload("inbound_sms")
    path = reverse("channels_twilio:messages")
    internal = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver" + path, params)

    assert client.post(path, params, headers={"X-Twilio-Signature": internal}).status_code == 403


def test_without_an_auth_token_every_webhook_is_refused(post_webhook, alice_line, settings):
    params = payload("inbound_sms")
    settings.TWILIO_AUTH_TOKEN = ""

    response = post_webhook("messages", params, signature=sign("/ignored", params, ""))

    assert response.status_code == 403
    assert not InboundWebhook.objects.exists()


def test_a_body_over_the_size_limit_is_a_clear_400(post_webhook, alice_line):
    response = post_webhook("messages", payload("inbound_sms", Body="x" * 70_000))

    assert response.status_code == 400
    assert b"too large" in response.content
    assert not InboundWebhook.objects.exists()


def test_more_media_than_twilio_sends_is_a_clear_400(post_webhook, alice_line):
    response = post_webhook("messages", payload("inbound_sms", NumMedia="11"))

    assert response.status_code == 400
    assert b"NumMedia" in response.content
    assert not InboundWebhook.objects.exists()


def test_an_unknown_customer_on_a_line_of_nobodys_goes_to_an_admin(post_webhook, ingest, admin):
    line = SenderId.objects.create(address="+14155550190", channel=Channel.SMS, label="Main")
    post_webhook("messages", payload("inbound_sms", To=line.address))
    ingest()

    assert Message.objects.get().conversation.owner == admin


def test_a_message_to_a_number_that_is_not_ours_is_answered_logged_and_not_stored(
    post_webhook, ingest, alice_line, caplog
):
    response = post_webhook("messages", payload("inbound_sms", To="+14155559999"))
    with caplog.at_level(logging.WARNING, logger="channels_twilio.ingest"):
        ingest()

    assert response.status_code == 200
    assert not Message.objects.exists()
    assert "to +14155559999: not one of our sender IDs" in caplog.text
    assert InboundWebhook.objects.get().outcome == InboundWebhook.Outcome.UNKNOWN_SENDER


def test_webhooks_only_accept_post(client):
    assert client.get(reverse("channels_twilio:messages")).status_code == 405


def test_twilios_opt_out_signal_opts_the_customer_out(post_webhook, ingest, alice_line):
    post_webhook("messages", payload("inbound_stop_advanced_optout"))
    ingest()

    contact = Contact.objects.get()
    assert contact.sms_opted_out_at is not None
    assert contact.consents.get().source == "provider"


def test_a_stop_keyword_then_start_through_the_webhook(post_webhook, ingest, alice_line):
    post_webhook("messages", payload("inbound_sms", Body="STOP", MessageSid="SM1"))
    ingest()
    assert Contact.objects.get().sms_opted_out_at is not None

    post_webhook("messages", payload("inbound_sms", Body="start", MessageSid="SM2"))
    ingest()
    assert Contact.objects.get().sms_opted_out_at is None

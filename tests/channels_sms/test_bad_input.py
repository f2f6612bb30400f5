"""Webhook input the database cannot hold: cleaned at the edge, the payload kept as signed,
the message routed on its first try; never a 500."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from channels_twilio.models import InboundWebhook
from inbox.models import Message, MessageStatus

from ..conftest import receive
from .conftest import sign
from .test_ingest import sms


def test_a_customer_message_with_nul_characters_is_routed_at_once_without_them(
    post_webhook, ingest, alice_line
):
    response = post_webhook("messages", sms("SM1", "Hello\x00 there\x00", ProfileName="Ann\x00"))

    assert response.status_code == 200
    ingest()

    message = Message.objects.get()
    assert message.body == "Hello there"
    assert message.conversation.contact.display_name == "Ann"
    webhook = InboundWebhook.objects.get()
    assert (webhook.attempts, webhook.outcome) == (1, InboundWebhook.Outcome.STORED)
    assert "Body=Hello%00+there%00" in webhook.payload  # the original, as it was signed


def test_a_nul_in_the_message_sid_is_stored_and_routed_not_a_500(post_webhook, ingest, alice_line):
    response = post_webhook("messages", sms("SM\x00123"))

    assert response.status_code == 200
    ingest()
    assert InboundWebhook.objects.get().message_sid == "SM123"
    assert Message.objects.get().provider_sid == "SM123"
    assert post_webhook("messages", sms("SM\x00123")).status_code == 200  # a redelivery
    assert Message.objects.count() == 1


def test_a_message_sid_of_nul_characters_only_is_a_clear_400(post_webhook, alice_line):
    response = post_webhook("messages", sms("\x00\x00"))

    assert response.status_code == 400
    assert b"MessageSid" in response.content
    assert not InboundWebhook.objects.exists()


def test_a_signed_body_that_is_not_utf8_is_stored_and_routed_as_it_was_checked(
    client, ingest, alice_line
):
    params = sms("SM1", "café")  # the server reads a form that is not UTF-8 as ISO-8859-1
    path = reverse("channels_twilio:messages")
    others = urlencode({name: value for name, value in params.items() if name != "Body"})
    body = others.encode() + b"&Body=caf\xe9"

    response = client.post(
        path,
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(path, params)},
    )

    assert response.status_code == 200
    assert "Body=caf%C3%A9" in InboundWebhook.objects.get().payload
    ingest()
    assert Message.objects.get().body == "café"


def test_a_media_url_too_long_to_keep_does_not_park_the_message(post_webhook, ingest, alice_line):
    long_url = "https://api.twilio.com/" + "x" * 600
    params = sms(
        "SM1",
        "Photo attached",
        NumMedia="1",
        MediaUrl0=long_url,
        MediaContentType0="image/jpeg; " + "q" * 200,
    )
    assert post_webhook("messages", params).status_code == 200
    ingest()

    message = Message.objects.get()
    assert message.body == "Photo attached"
    assert not message.attachments.exists()
    assert InboundWebhook.objects.get().attempts == 1


@pytest.mark.parametrize("sid", ["SM\x00abc", "SMabc"])
def test_a_status_callback_with_nul_characters_answers_200_and_applies(
    post_webhook, alice, alice_line, sid
):
    conversation = receive(alice_line, "+12025550123").conversation
    message = Message.objects.create(
        conversation=conversation, direction="out", author=alice, body="Hi",
        status=MessageStatus.QUEUED, channel="sms", provider_sid="SMabc",
    )  # fmt: skip
    params = {"MessageSid": sid, "MessageStatus": "delivered\x00", "ErrorCode": "3\x000003"}

    assert post_webhook("status", params).status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED

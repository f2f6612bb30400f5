"""WhatsApp's webhooks, replayed from payloads Twilio recorded (``fixtures/``): a customer's
text and image arrive on the WhatsApp line from their WhatsApp number, and read receipts
turn the ticks blue (F-CH2, F-CV4)."""

import json
from pathlib import Path

from inbox.models import (
    Channel,
    ContactIdentity,
    IdentityKind,
    Message,
    MessageDirection,
    MessageStatus,
)

from ..conftest import receive

FIXTURES = Path(__file__).parent / "fixtures"
DANA = "+447700900123"


def payload(name: str, **changes: str) -> dict[str, str]:
    """A recorded Twilio WhatsApp webhook payload, with some fields changed."""
    return json.loads((FIXTURES / f"{name}.json").read_text()) | changes


def test_a_whatsapp_message_is_stored_on_the_whatsapp_channel(post_webhook, ingest, whatsapp_line):
    post_webhook("messages", payload("inbound_whatsapp"))
    ingest()

    message = Message.objects.get()
    assert message.channel == Channel.WHATSAPP
    assert message.body == "Hello from WhatsApp"
    assert message.conversation.sender_id == whatsapp_line
    assert message.conversation.contact.phone_e164 == DANA
    assert message.conversation.contact.display_name == "Dana"


def test_the_conversation_is_with_the_customers_whatsapp_number(
    post_webhook, ingest, whatsapp_line
):
    post_webhook("messages", payload("inbound_whatsapp"))
    ingest()

    conversation = Message.objects.get().conversation
    assert conversation.customer_address == DANA
    assert (conversation.identity.kind, conversation.identity.address) == (
        IdentityKind.WHATSAPP,
        DANA,
    )
    assert set(
        ContactIdentity.objects.filter(contact=conversation.contact).values_list("kind", "address")
    ) == {(IdentityKind.PHONE, DANA), (IdentityKind.WHATSAPP, DANA)}


def test_a_customer_known_by_their_phone_is_found_by_their_whatsapp_number(
    post_webhook, ingest, whatsapp_line, alice_line
):
    by_sms = receive(alice_line, DANA).conversation.contact
    post_webhook("messages", payload("inbound_whatsapp"))
    ingest()

    on_whatsapp = Message.objects.get(channel=Channel.WHATSAPP).conversation
    assert on_whatsapp.contact == by_sms
    assert on_whatsapp.identity.kind == IdentityKind.WHATSAPP


def test_an_image_arrives_with_its_type_and_is_fetched_from_twilio(
    post_webhook, ingest, whatsapp_line
):
    post_webhook("messages", payload("inbound_whatsapp_image"))
    ingest()

    message = Message.objects.get()
    attachment = message.attachments.get()
    assert attachment.content_type == "image/jpeg"
    assert attachment.source_url.startswith("https://api.twilio.com/")
    assert message.conversation.last_message_preview  # the list shows it as a photo


def test_a_read_receipt_turns_the_ticks_blue(post_webhook, ingest, whatsapp_line, alice):
    post_webhook("messages", payload("inbound_whatsapp"))
    ingest()
    sent = Message.objects.create(
        conversation=Message.objects.get().conversation,
        direction=MessageDirection.OUTBOUND,
        author=alice,
        body="Your order ships today",
        status=MessageStatus.DELIVERED,
        channel=Channel.WHATSAPP,
        provider_sid="SMfeedfacefeedfacefeedfacefeedface",
    )

    response = post_webhook("status", payload("status_read"))

    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == MessageStatus.READ
    assert sent.read_at is not None

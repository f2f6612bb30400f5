"""Twilio Programmable Messaging as a channel adapter: SMS and MMS."""

from collections.abc import Mapping

from django.conf import settings
from django.core import signing
from django.urls import reverse

from inbox.channels import InboundMedia, InboundMessage, SendResult, StatusUpdate
from inbox.models import Attachment, Channel, Message

from . import client

MEDIA_SALT = "channels_sms.media"


def media_url(attachment: Attachment) -> str:
    """An absolute, unguessable URL from which Twilio fetches an outbound attachment."""
    token = signing.dumps(attachment.public_id, salt=MEDIA_SALT)
    return settings.PUBLIC_BASE_URL + reverse("channels_sms:media", args=[token])


def status_callback_url() -> str:
    return settings.PUBLIC_BASE_URL + reverse("channels_sms:status")


class TwilioSmsAdapter:
    channel = Channel.SMS
    # Twilio writes WhatsApp addresses as ``whatsapp:+E164``; SMS addresses are bare E.164.
    address_prefix = ""

    def customer_address(self, phone_e164: str) -> str:
        return f"{self.address_prefix}{phone_e164}"

    def send(self, message: Message) -> SendResult:
        """Create the message at Twilio, unless an earlier attempt already did.

        ``attempts`` counts claims: above one, a previous attempt may have reached Twilio
        without us learning the answer (timeout, dead worker), so look it up first.
        """
        conversation = message.conversation
        to = self.customer_address(conversation.contact.phone_e164)
        from_ = conversation.sender_id.address
        if message.attempts > 1:
            for found in client.messages_matching(
                to=to, from_=from_, body=message.body, since=message.created_at
            ):
                # The same words may have gone out as another of our messages.
                known = Message.objects.filter(channel=message.channel, provider_sid=found.sid)
                if not known.exists():
                    return SendResult(provider_sid=found.sid, status=found.status)
        created = client.message_create(
            to=to, from_=from_, status_callback=status_callback_url(), **self.content_of(message)
        )
        return SendResult(provider_sid=created.sid, status=created.status)

    def content_of(self, message: Message) -> dict:
        """What the message says, as ``client.message_create`` arguments."""
        return {
            "body": message.body,
            "media_urls": [media_url(a) for a in message.attachments.all()],
        }

    def parse_inbound(self, params: Mapping[str, str]) -> InboundMessage:
        count = int(params.get("NumMedia") or 0)
        return InboundMessage(
            channel=self.channel,
            provider_sid=params["MessageSid"],
            from_address=params["From"].removeprefix(self.address_prefix),
            to_address=params["To"],
            body=params.get("Body", ""),
            media=[
                InboundMedia(
                    url=params[f"MediaUrl{i}"],
                    content_type=params.get(f"MediaContentType{i}", ""),
                )
                for i in range(count)
                if params.get(f"MediaUrl{i}")
            ],
            profile_name=params.get("ProfileName", ""),
            opt_out_type=params.get("OptOutType", ""),
        )

    def parse_status(self, params: Mapping[str, str]) -> StatusUpdate:
        return StatusUpdate(
            provider_sid=params["MessageSid"],
            status=params.get("MessageStatus") or params.get("SmsStatus", ""),
            error_code=params.get("ErrorCode", ""),
        )

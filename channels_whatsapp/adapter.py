"""WhatsApp through Twilio (F-CH2): the shared Twilio adapter on ``whatsapp:`` addresses,
plus registered templates (Twilio's Content API, ``content.py``)."""

import json

from channels_twilio.adapter import TwilioAdapter
from inbox.channels import TemplateData
from inbox.models import Channel, Message

from .content import content_templates


class TwilioWhatsAppAdapter(TwilioAdapter):
    channel = Channel.WHATSAPP
    address_prefix = "whatsapp:"

    def content_of(self, message: Message) -> dict:
        """A registered template goes as its content SID and variables, without a body."""
        if not message.content_sid:
            return super().content_of(message)
        return {
            "content_sid": message.content_sid,
            "content_variables": json.dumps(message.content_variables),
        }

    def list_templates(self) -> list[TemplateData]:
        return content_templates()

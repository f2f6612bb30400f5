"""WhatsApp through Twilio: the SMS adapter with ``whatsapp:`` addresses, plus templates."""

import json

from channels_sms.adapter import TwilioSmsAdapter
from inbox.channels import TemplateData
from inbox.models import Channel, Message

from .content import content_templates


class TwilioWhatsAppAdapter(TwilioSmsAdapter):
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

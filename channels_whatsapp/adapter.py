"""WhatsApp through Twilio: the SMS adapter with ``whatsapp:`` addresses."""

from channels_sms.adapter import TwilioSmsAdapter
from inbox.models import Channel


class TwilioWhatsAppAdapter(TwilioSmsAdapter):
    channel = Channel.WHATSAPP
    address_prefix = "whatsapp:"

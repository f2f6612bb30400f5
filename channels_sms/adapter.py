"""SMS and MMS through Twilio (F-CH1): the shared Twilio adapter, on bare E.164 numbers."""

from channels_twilio.adapter import TwilioAdapter
from inbox.models import Channel


class TwilioSmsAdapter(TwilioAdapter):
    channel = Channel.SMS
    address_prefix = ""

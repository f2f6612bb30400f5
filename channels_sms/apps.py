from django.apps import AppConfig


class ChannelsSmsConfig(AppConfig):
    name = "channels_sms"
    verbose_name = "SMS/MMS via Twilio"

    def ready(self) -> None:
        from channels_twilio.adapter import register_twilio_adapter
        from inbox.channels import register_channel

        from .adapter import TwilioSmsAdapter
        from .channel import SmsRules

        register_channel(SmsRules())
        register_twilio_adapter(TwilioSmsAdapter())

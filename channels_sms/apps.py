from django.apps import AppConfig


class ChannelsSmsConfig(AppConfig):
    name = "channels_sms"
    verbose_name = "SMS/MMS via Twilio"

    def ready(self) -> None:
        from inbox.channels import register_channel

        from .channel import SmsRules

        register_channel(SmsRules())

from django.apps import AppConfig


class ChannelsWhatsappConfig(AppConfig):
    name = "channels_whatsapp"
    verbose_name = "WhatsApp via Twilio"

    def ready(self) -> None:
        from channels_twilio.adapter import register_twilio_adapter
        from inbox.channels import register_channel

        from .adapter import TwilioWhatsAppAdapter
        from .channel import WhatsAppRules

        register_channel(WhatsAppRules())
        register_twilio_adapter(TwilioWhatsAppAdapter())

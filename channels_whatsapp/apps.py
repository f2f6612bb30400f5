from django.apps import AppConfig


class ChannelsWhatsappConfig(AppConfig):
    name = "channels_whatsapp"
    verbose_name = "WhatsApp via Twilio"

    def ready(self) -> None:
        from inbox.channels import register_channel

        from .channel import WhatsAppRules

        register_channel(WhatsAppRules())

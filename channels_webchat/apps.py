from django.apps import AppConfig


class ChannelsWebchatConfig(AppConfig):
    name = "channels_webchat"
    verbose_name = "Web chat"

    def ready(self) -> None:
        from inbox.channels import register_channel

        from .channel import WebChatRules

        register_channel(WebChatRules())

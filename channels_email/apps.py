from django.apps import AppConfig


class ChannelsEmailConfig(AppConfig):
    name = "channels_email"
    verbose_name = "E-mail (IMAP and SMTP)"

    def ready(self) -> None:
        from inbox.channels import register_channel

        from .channel import EmailRules

        register_channel(EmailRules())

from django.apps import AppConfig


class ChannelsTwilioConfig(AppConfig):
    name = "channels_twilio"
    verbose_name = "Twilio webhooks"

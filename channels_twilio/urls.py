from django.urls import path

from . import webhooks

app_name = "channels_twilio"

urlpatterns = [
    path("messages", webhooks.inbound_message, name="messages"),
    path("status", webhooks.status_callback, name="status"),
    path("media/<str:token>", webhooks.outbound_media, name="media"),
]

from django.contrib import admin

from .models import InboundWebhook


@admin.register(InboundWebhook)
class InboundWebhookAdmin(admin.ModelAdmin):
    """Support staff look up a payload by its SID, and see which ones no worker finished."""

    list_display = ("message_sid", "channel", "received_at", "processed_at", "outcome", "attempts")
    list_filter = ("channel", "outcome", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("=message_sid",)
    readonly_fields = (
        "channel",
        "message_sid",
        "payload",
        "received_at",
        "processed_at",
        "outcome",
    )
    fields = (*readonly_fields, "attempts")

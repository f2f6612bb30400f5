"""The webhook delivery log in the admin (read-only): every delivery, a macro's included.
Rules and macros are edited on their own pages, where their checks run."""

from django.contrib import admin

from .models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "source", "url", "state", "last_status", "attempts")
    list_filter = ("state",)
    search_fields = ("url", "source")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

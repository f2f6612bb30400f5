from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse

from inbox.channels import SendError
from inbox.models import WhatsAppTemplate
from inbox.services.whatsapp_templates import whatsapp_templates_sync


@admin.register(WhatsAppTemplate)
class WhatsAppTemplateAdmin(admin.ModelAdmin):
    """The provider owns templates: here they are synced, and their variables mapped to
    contact fields; nothing else is edited."""

    list_display = ("name", "language", "category", "approval", "last_synced_at")
    list_filter = ("approval", "category", "language")
    search_fields = ("name", "body", "content_sid")
    readonly_fields = (
        "content_sid",
        "name",
        "language",
        "body",
        "default_values",
        "category",
        "approval",
        "last_synced_at",
    )
    fields = (*readonly_fields, "variable_fields")
    change_list_template = "admin/inbox/whatsapptemplate/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self):
        sync = self.admin_site.admin_view(self.sync_view)
        return [path("sync/", sync, name="inbox_whatsapptemplate_sync"), *super().get_urls()]

    def sync_view(self, request: HttpRequest):
        changelist = reverse("admin:inbox_whatsapptemplate_changelist")
        if request.method != "POST" or not self.has_change_permission(request):
            return HttpResponseRedirect(changelist)
        try:
            count = whatsapp_templates_sync()
        except SendError as error:
            self.message_user(request, f"Sync failed: {error}", messages.ERROR)
        else:
            self.message_user(request, f"Synced {count} templates from the provider.")
        return HttpResponseRedirect(changelist)

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction

from .models import (
    Attachment,
    ConsentRecord,
    Contact,
    ContactExport,
    ContactFieldValue,
    ContactIdentity,
    Conversation,
    ConversationEvent,
    CustomField,
    Holiday,
    Label,
    Message,
    Organisation,
    SenderId,
    Team,
    User,
)
from .services.held_messages import held_messages_reschedule


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "is_available",
        "is_active",
    )
    list_filter = ("role", "is_active", "is_available")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Converse", {"fields": ("role", "time_zone", "is_available")}),
    )


class MovesHeldMessages:
    """For the models the business hours are kept in: a save or delete here moves the
    messages already held to their new opening, as the Business hours page does. The
    admin saves in a transaction, so their releases are enqueued once it commits."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        held_messages_reschedule()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        held_messages_reschedule()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            held_messages_reschedule()


@admin.register(Organisation)
class OrganisationAdmin(MovesHeldMessages, admin.ModelAdmin):
    list_display = ("name", "time_zone", "auto_assign_enabled")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "mode", "auto_assign")
    filter_horizontal = ("members",)


@admin.register(SenderId)
class SenderIdAdmin(MovesHeldMessages, admin.ModelAdmin):
    list_display = ("address", "label", "channel", "owner", "team", "rate_per_second", "is_active")
    list_filter = ("channel", "is_active")
    search_fields = ("address", "label")
    filter_horizontal = ("shared_with",)


class ContactFieldValueInline(admin.TabularInline):
    model = ContactFieldValue
    extra = 0


class ContactIdentityInline(admin.TabularInline):
    """The addresses the contact is reached at, to read: they change through the inbox
    (inbound messages, new conversations, edits, imports and merges)."""

    model = ContactIdentity
    extra = 0
    fields = readonly_fields = ("kind", "address", "added_at")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("display_name", "phone_e164", "email", "public_id", "sms_opted_out_at")
    search_fields = ("display_name", "phone_e164", "public_id", "email", "identities__address")
    # Consent changes only through the consent rules, which keep its history.
    readonly_fields = ("sms_opted_out_at", "whatsapp_consent_at")
    filter_horizontal = ("labels",)
    inlines = [ContactIdentityInline, ContactFieldValueInline]


admin.site.register(Label)
admin.site.register(CustomField)


@admin.register(Holiday)
class HolidayAdmin(MovesHeldMessages, admin.ModelAdmin):
    """Business hours have their own page for admins (``/settings/hours/``); a holiday
    changed here moves held messages the same way."""

    list_display = ("date", "name", "recurring")


class RecordAdmin(admin.ModelAdmin):
    """An append-only record: listed and searched, never added, edited or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(RecordAdmin):
    """The consent history, to read: it is evidence, kept as it happened. Changes come only
    through the consent rules (keywords, the contact panel, imports), which also change
    what the send checks look at; a row added or edited here would change neither."""

    list_display = ("contact", "channel", "kind", "source", "detail", "actor", "at")
    list_filter = ("channel", "kind", "source")
    search_fields = ("contact__phone_e164", "contact__display_name", "contact__public_id")
    list_select_related = ("contact", "actor")


@admin.register(ContactExport)
class ContactExportAdmin(RecordAdmin):
    """Who exported the contacts and when: a record, never edited."""

    list_display = ("at", "exported_by", "filters", "row_count")
    list_filter = ("exported_by",)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("public_id", "contact", "sender_id", "status", "owner", "last_activity_at")
    list_filter = ("status", "sender_id__channel")
    search_fields = ("public_id", "contact__display_name", "contact__phone_e164")
    raw_id_fields = ("contact", "sender_id", "owner", "last_sender", "team")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # F-CV10: conversations are never deleted.


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    # Where inbound media is fetched from comes from Twilio's webhook, never from a person.
    readonly_fields = ("source_url",)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("public_id", "direction", "status", "channel", "provider_sid", "created_at")
    list_filter = ("direction", "status", "channel")
    search_fields = ("public_id", "provider_sid")
    raw_id_fields = ("conversation", "author")
    inlines = [AttachmentInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConversationEvent)
class ConversationEventAdmin(admin.ModelAdmin):
    list_display = ("conversation", "kind", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("conversation", "actor")

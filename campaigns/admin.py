from django.contrib import admin

from .models import CampaignSettings, QuietHoursRule


@admin.register(CampaignSettings)
class CampaignSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "agents_may_create", "quiet_start", "quiet_end", "price_per_segment"]


@admin.register(QuietHoursRule)
class QuietHoursRuleAdmin(admin.ModelAdmin):
    list_display = ["region", "code", "start", "end"]

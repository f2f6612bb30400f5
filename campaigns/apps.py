from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """The reports' campaign filter (the inbox never imports campaigns)."""
        from inbox.reports.origins import CampaignSource, register_campaigns

        from .selectors import conversations_opened_by_replies, report_choices

        register_campaigns(
            CampaignSource(choices=report_choices, conversations=conversations_opened_by_replies)
        )

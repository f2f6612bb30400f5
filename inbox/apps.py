from django.apps import AppConfig
from django.db.backends.signals import connection_created


class InboxConfig(AppConfig):
    name = "inbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .reports.sqlite_functions import register

        connection_created.connect(register, dispatch_uid="converse_sqlite_functions")

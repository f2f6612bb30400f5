"""Threads a campaign started that nobody has answered or written in yet leave the lists
(a sender ID's, All): a campaign message opens no conversation in anyone's inbox."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def unlist_unanswered(apps, schema_editor) -> None:
    Conversation = apps.get_model("inbox", "Conversation")
    Participation = apps.get_model("inbox", "Participation")
    Recipient = apps.get_model("campaigns", "Recipient")
    Conversation.objects.filter(
        Exists(Recipient.objects.filter(conversation=OuterRef("pk"))),
        last_inbound_at__isnull=True,
    ).exclude(
        Exists(
            Participation.objects.filter(conversation=OuterRef("pk"), last_sent_at__isnull=False)
        )
    ).update(listed=False)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_recipient_fewer_indexes"),
        ("inbox", "0036_conversation_listed"),
    ]

    operations = [migrations.RunPython(unlist_unanswered, migrations.RunPython.noop)]

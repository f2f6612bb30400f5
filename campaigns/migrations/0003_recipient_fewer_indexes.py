"""Recipients carry fewer indexes, each written once per recipient when a campaign is
planned: none of its own for the campaign (the first column of both unique constraints), no
LIKE index beside the unique public id, and one for conversations over the released rows only."""

import django.db.models.deletion
import inbox.models.ids
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_state_quiet_hours"),
        ("inbox", "0035_automation_event_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recipient",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="recipients",
                to="campaigns.campaign",
            ),
        ),
        migrations.AlterField(
            model_name="recipient",
            name="conversation",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="inbox.conversation",
            ),
        ),
        migrations.AlterField(
            model_name="recipient",
            name="public_id",
            field=models.CharField(
                default=inbox.models.ids.new_public_id, editable=False, max_length=16
            ),
        ),
        migrations.AddIndex(
            model_name="recipient",
            index=models.Index(
                condition=models.Q(("conversation__isnull", False)),
                fields=["conversation"],
                name="recipient_conversation_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="recipient",
            constraint=models.UniqueConstraint(
                fields=("public_id",), name="recipient_public_id_once"
            ),
        ),
    ]

"""The stored Twilio webhooks move here from ``channels_sms``: the model is taken over as it
is (its table first keeps its name), then the table is renamed to this app's."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("channels_sms", "0002_claim_lease"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="InboundWebhook",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("channel", models.CharField(max_length=16)),
                        ("message_sid", models.CharField(max_length=64)),
                        ("payload", models.TextField()),
                        ("received_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("processed_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "outcome",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("stored", "Stored as a message"),
                                    ("duplicate", "Message already stored"),
                                    ("unknown_sender", "Addressed to a number that is not ours"),
                                ],
                                max_length=16,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "channels_sms_inboundwebhook",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("processed_at__isnull", True)),
                                fields=["received_at"],
                                name="inbound_webhook_pending_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("channel", "message_sid"),
                                name="one_inbound_webhook_per_sid",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="inboundwebhook", table=None),
    ]

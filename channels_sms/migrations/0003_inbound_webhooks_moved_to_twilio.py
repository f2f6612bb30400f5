"""The stored Twilio webhooks now belong to ``channels_twilio`` (its 0001 takes the table
over): here they leave this app's state only; the table is kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("channels_sms", "0002_claim_lease"),
        ("channels_twilio", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="InboundWebhook")],
            database_operations=[],
        ),
    ]

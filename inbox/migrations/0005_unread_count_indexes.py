from django.db import migrations, models


class Migration(migrations.Migration):
    """Covering indexes for the unread count: both sides of its anti-join read index-only."""

    dependencies = [("inbox", "0004_search_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["owner", "id"],
                include=["last_inbound_at"],
                condition=models.Q(last_inbound_at__isnull=False),
                name="conv_owner_unread_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="readstate",
            index=models.Index(
                fields=["user", "conversation"],
                include=["last_read_at"],
                name="readstate_user_read_idx",
            ),
        ),
    ]

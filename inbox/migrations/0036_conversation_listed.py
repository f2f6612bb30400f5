"""A thread a campaign started is unlisted until the customer answers; the sender ID's and
All lists read listed threads by their indexes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0035_automation_event_kind'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='conversation',
            name='conv_sender_activity_idx',
        ),
        migrations.RemoveIndex(
            model_name='conversation',
            name='conv_activity_idx',
        ),
        migrations.AddField(
            model_name='conversation',
            name='listed',
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddIndex(
            model_name='conversation',
            index=models.Index(condition=models.Q(('listed', True)), fields=['sender_id', '-last_activity_at', '-id'], name='conv_sender_listed_idx'),
        ),
        migrations.AddIndex(
            model_name='conversation',
            index=models.Index(condition=models.Q(('listed', True)), fields=['-last_activity_at', '-id'], name='conv_listed_activity_idx'),
        ),
    ]

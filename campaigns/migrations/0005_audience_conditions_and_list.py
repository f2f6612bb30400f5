"""A campaign's audience takes custom-field conditions and an uploaded list."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0004_unanswered_threads_unlisted'),
        ('inbox', '0037_imported_contacts'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaign',
            name='conditions',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='campaign',
            name='contact_list',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inbox.contactimport'),
        ),
    ]

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
import inbox.models.indexes
from django.db import migrations, models


class AddIndexOnPostgres(migrations.AddIndex):
    """A trigram GIN index: created on PostgreSQL, skipped elsewhere (SQLite searches by scan)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0003_window_and_teams'),
    ]

    operations = [
        TrigramExtension(),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('assigned', 'Conversation assigned to you')], max_length=16)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('read_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        AddIndexOnPostgres(
            model_name='contact',
            index=inbox.models.indexes.PostgresGinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('display_name'), name='gin_trgm_ops'), name='contact_name_trgm_idx'),
        ),
        AddIndexOnPostgres(
            model_name='contact',
            index=inbox.models.indexes.PostgresGinIndex(fields=['phone_e164'], name='contact_phone_trgm_idx', opclasses=['gin_trgm_ops']),
        ),
        migrations.AddField(
            model_name='notification',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='notification',
            name='conversation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='inbox.conversation'),
        ),
        migrations.AddField(
            model_name='notification',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['user', 'created_at'], name='notification_unread_idx'),
        ),
    ]

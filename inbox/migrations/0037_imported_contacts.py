"""The contacts each import wrote: the uploaded lists campaigns send to."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0036_conversation_listed'),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportedContact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('contact', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='inbox.contact')),
                ('contact_import', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='inbox.contactimport')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('contact_import', 'contact'), name='imported_contact_once')],
            },
        ),
    ]

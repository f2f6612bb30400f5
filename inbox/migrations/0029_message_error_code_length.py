# Our own rules' refusal codes ("template_not_approved") are longer than a provider's:
# PostgreSQL refused to store them in 16 characters.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0028_conversation_address_unique'),
    ]

    operations = [
        migrations.AlterField(
            model_name='message',
            name='error_code',
            field=models.CharField(blank=True, max_length=32),
        ),
    ]

# One conversation per sender ID and customer address; ContactNumber's rows live on as
# phone identities (0027).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0027_identities_from_contacts"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.UniqueConstraint(
                fields=("sender_id", "customer_address"), name="one_conversation_per_sender_address"
            ),
        ),
        migrations.DeleteModel(
            name="ContactNumber",
        ),
    ]

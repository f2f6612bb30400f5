# A customer is an address on a channel: contacts get identities of several kinds (phone,
# WhatsApp, e-mail, web-chat visitor), unique per kind, which take over from ContactNumber;
# a conversation is with one identity, and its number becomes its address.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import inbox.models.indexes


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0025_help_reply_opt_in"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContactIdentity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("phone", "Phone"),
                            ("whatsapp", "WhatsApp"),
                            ("email", "E-mail"),
                            ("webchat", "Web chat visitor"),
                        ],
                        max_length=16,
                    ),
                ),
                ("address", models.CharField(max_length=254)),
                ("added_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="identities",
                        to="inbox.contact",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "contact identities",
                "ordering": ["added_at", "id"],
                "indexes": [
                    models.Index(fields=["contact", "kind"], name="identity_contact_idx"),
                    inbox.models.indexes.PostgresGinIndex(
                        fields=["address"],
                        name="identity_address_trgm_idx",
                        opclasses=["gin_trgm_ops"],
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "address"), name="one_identity_per_address"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="conversation",
            name="identity",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="conversations",
                to="inbox.contactidentity",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="conversation",
            name="one_conversation_per_sender_number",
        ),
        migrations.RenameField(
            model_name="conversation",
            old_name="customer_phone",
            new_name="customer_address",
        ),
        migrations.AlterField(
            model_name="conversation",
            name="customer_address",
            field=models.CharField(max_length=254),
        ),
    ]

# Every contact's numbers, e-mail and WhatsApp id, and every conversation's address, become
# identities (0026 made the table; 0028 drops ContactNumber). A migration of its own: on
# PostgreSQL, rows written here must be committed before the next one alters the tables.

from django.db import migrations, models

BATCH = 2000
# The kind of identity a conversation on each channel of the time is with.
CHANNEL_KIND = {"sms": "phone", "whatsapp": "whatsapp"}


def identities_from_contacts(apps, schema_editor):
    """Every address a contact had becomes an identity, in order of precedence: a contact's
    number, its numbers kept from merges, the numbers its conversations are with, then its
    WhatsApp number and e-mail. An address already taken by an earlier one stays there (two
    contacts could share an e-mail or a WhatsApp id; the contact rows keep theirs)."""
    Contact = apps.get_model("inbox", "Contact")
    ContactNumber = apps.get_model("inbox", "ContactNumber")
    ContactIdentity = apps.get_model("inbox", "ContactIdentity")
    Conversation = apps.get_model("inbox", "Conversation")

    def write(rows):
        ContactIdentity.objects.bulk_create(
            (ContactIdentity(**row) for row in rows), batch_size=BATCH, ignore_conflicts=True
        )

    contacts = Contact.objects.values_list(
        "pk", "phone_e164", "created_at", "whatsapp_id", "email"
    ).order_by("pk")
    write(
        {"contact_id": pk, "kind": "phone", "address": phone, "added_at": created}
        for pk, phone, created, _w, _e in contacts.iterator(chunk_size=BATCH)
        if phone
    )
    write(
        {"contact_id": c, "kind": "phone", "address": phone, "added_at": added}
        for c, phone, added in ContactNumber.objects.values_list(
            "contact_id", "phone_e164", "added_at"
        ).order_by("added_at", "pk")
    )
    threads = Conversation.objects.values_list(
        "pk", "contact_id", "sender_id__channel", "customer_address", "created_at"
    ).order_by("pk")
    write(
        {
            "contact_id": contact,
            "kind": CHANNEL_KIND.get(channel, channel),
            "address": address,
            "added_at": created,
        }
        for _pk, contact, channel, address, created in threads.iterator(chunk_size=BATCH)
        if address
    )
    write(
        {"contact_id": pk, "kind": "whatsapp", "address": whatsapp.strip(), "added_at": created}
        for pk, _p, created, whatsapp, _e in contacts.iterator(chunk_size=BATCH)
        if whatsapp.strip()
    )
    write(
        {"contact_id": pk, "kind": "email", "address": email.strip().lower(), "added_at": created}
        for pk, _p, created, _w, email in contacts.iterator(chunk_size=BATCH)
        if email.strip()
    )
    ids = {
        (kind, address): pk
        for pk, kind, address in ContactIdentity.objects.values_list("pk", "kind", "address")
    }
    changed = []
    for pk, _contact, channel, address, _created in threads.iterator(chunk_size=BATCH):
        identity = ids.get((CHANNEL_KIND.get(channel, channel), address))
        if identity is not None:
            changed.append(Conversation(pk=pk, identity_id=identity))
        if len(changed) >= BATCH:
            Conversation.objects.bulk_update(changed, ["identity"])
            changed = []
    Conversation.objects.bulk_update(changed, ["identity"])


def numbers_from_identities(apps, schema_editor):
    """Backwards: a contact's phone identities other than its number are its numbers again."""
    ContactNumber = apps.get_model("inbox", "ContactNumber")
    ContactIdentity = apps.get_model("inbox", "ContactIdentity")
    ContactNumber.objects.bulk_create(
        ContactNumber(contact_id=contact, phone_e164=address, added_at=added)
        for contact, address, added in ContactIdentity.objects.filter(kind="phone")
        .exclude(address=models.F("contact__phone_e164"))
        .values_list("contact_id", "address", "added_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0026_contact_identities"),
    ]

    operations = [
        migrations.RunPython(identities_from_contacts, numbers_from_identities),
    ]

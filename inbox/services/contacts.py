"""Contacts edited from the conversation (F-CT2): save an unknown number, change details."""

from django.db import transaction
from django.utils import timezone

from ..models import (
    Contact,
    ContactFieldValue,
    Conversation,
    ConversationEvent,
    CustomField,
    Label,
    User,
)


def contact_update(
    *,
    contact: Contact,
    by: User,
    display_name: str,
    email: str,
    labels: list[str],
    custom_fields: dict[str, str],
    conversation: Conversation | None = None,
) -> Contact:
    """Replace the contact's name, email, labels and custom field values in one transaction.

    Label and custom field names are reused across contacts (created when new). When edited
    from ``conversation``, its thread records who saved or changed the contact.
    """
    was_saved = contact.is_saved
    with transaction.atomic():
        contact.display_name = display_name.strip()
        contact.email = email.strip()
        contact.save(update_fields=["display_name", "email"])
        contact.labels.set([Label.objects.get_or_create(name=name)[0] for name in labels])
        contact.field_values.exclude(field__name__in=custom_fields).delete()
        for name, value in custom_fields.items():
            field, _ = CustomField.objects.get_or_create(name=name)
            ContactFieldValue.objects.update_or_create(
                contact=contact, field=field, defaults={"value": value}
            )
        if conversation is not None:
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.CONTACT,
                actor=by,
                body="Contact updated" if was_saved else f"Saved as contact “{contact}”",
            )
            Conversation.objects.filter(contact=contact).update(changed_at=timezone.now())
    return contact

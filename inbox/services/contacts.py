"""Contacts (F-CT1, F-CT2): edits that change only what was submitted, each kept in the
contact's history (who, when, old → new). Contacts are organisation-wide."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ..live_events import event_record
from ..models import (
    Contact,
    ContactChange,
    ContactFieldValue,
    Conversation,
    ConversationEvent,
    CustomField,
    Label,
    User,
    contact_at_q,
)


class ContactRefused(ValueError):
    """An edit that cannot be made; the message says why, for people."""


def field_key(label: str) -> str:
    """The key of a custom field labelled ``label``: "Order ID" → ``order_id``. A key starts
    with a letter, as saved-reply placeholders do ("2nd phone" → ``field_2nd_phone``)."""
    key = slugify(label).replace("-", "_").strip("_")
    if key[:1].isdigit():
        key = f"field_{key}"
    return key[:50]


def custom_field_for(label: str) -> CustomField:
    """The custom field that ``label`` names (by its key), created when new."""
    key = field_key(label)
    if not key:
        raise ContactRefused(f"“{label}” needs a letter or a digit to be a field name.")
    field, _ = CustomField.objects.get_or_create(name=key, defaults={"label": label.strip()[:50]})
    return field


def labels_named(names: list[str]) -> list[Label]:
    """The labels called ``names`` (matched without regard to case), created when new."""
    existing = {label.name.lower(): label for label in Label.objects.all()}
    labels = []
    for name in names:
        label = existing.get(name.lower())
        if label is None:
            label = existing[name.lower()] = Label.objects.create(name=name)
        labels.append(label)
    return labels


def contact_update(
    *,
    contact: Contact,
    by: User | None,
    display_name: str | None = None,
    email: str | None = None,
    labels: list[str] | None = None,
    custom_fields: dict[str, str] | None = None,
    conversation: Conversation | None = None,
) -> ContactChange | None:
    """Change what was submitted, keep everything else; return the history entry, if any.

    ``None`` leaves a detail as it is. ``custom_fields`` maps field labels (or keys) to
    values: an empty value removes that field; fields not named are kept. Every change goes
    into the contact's history; edited from ``conversation``, its thread says so too.
    ``by`` is None for a change nobody made by hand (a bot saving an answer).
    """
    was_saved = contact.is_saved
    changes: list[dict[str, str]] = []
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        updated = []
        for attr, label, value in (
            ("display_name", "Name", display_name),
            ("email", "Email", email),
        ):
            if value is None or value.strip() == getattr(contact, attr):
                continue
            changes.append({"field": label, "old": getattr(contact, attr), "new": value.strip()})
            setattr(contact, attr, value.strip())
            updated.append(attr)
        if updated:
            contact.save(update_fields=updated)
        if labels is not None:
            before = sorted(label.name for label in contact.labels.all())
            contact.labels.set(labels_named(labels))
            after = sorted(label.name for label in contact.labels.all())
            if before != after:
                changes.append(
                    {"field": "Labels", "old": ", ".join(before), "new": ", ".join(after)}
                )
        for label, value in (custom_fields or {}).items():
            changes.extend(_field_set(contact=contact, field=custom_field_for(label), value=value))
        if not changes:
            return None
        entry = ContactChange.objects.create(contact=contact, actor=by, changes=changes)
        if conversation is not None:
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.CONTACT,
                actor=by,
                body=describe_changes(changes) if was_saved else f"Saved as contact “{contact}”",
            )
        Conversation.objects.filter(contact=contact).update(changed_at=timezone.now())
        event_record(
            kind="contact",
            conversations=list(
                Conversation.objects.filter(contact=contact).values_list("pk", flat=True)
            ),
        )
    return entry


def _field_set(*, contact: Contact, field: CustomField, value: str) -> list[dict[str, str]]:
    value = value.strip()
    current = ContactFieldValue.objects.filter(contact=contact, field=field).first()
    old = current.value if current else ""
    if old == value:
        return []
    if not value:
        current.delete()
    elif current is None:
        ContactFieldValue.objects.create(contact=contact, field=field, value=value)
    else:
        current.value = value
        current.save(update_fields=["value"])
    return [{"field": str(field), "old": old, "new": value}]


def describe_changes(changes: list[dict[str, str]]) -> str:
    """ "Name: Ann → Ann Lee; Email: (none) → ann@example.com" for threads and history."""
    return "; ".join(
        f"{c['field']}: {c['old'] or '(none)'} → {c['new'] or '(none)'}" for c in changes
    )


def contact_create(
    *,
    by: User,
    phone_e164: str,
    display_name: str = "",
    email: str = "",
    labels: list[str] | None = None,
    custom_fields: dict[str, str] | None = None,
) -> Contact:
    """A new contact for a number nobody has saved yet (refused when the number exists)."""
    with transaction.atomic():
        if Contact.objects.filter(contact_at_q(phone_e164)).exists():
            raise ContactRefused("A contact with this number exists already.")
        contact = Contact.objects.create(phone_e164=phone_e164)
        contact_update(
            contact=contact,
            by=by,
            display_name=display_name,
            email=email,
            labels=labels or [],
            custom_fields=custom_fields or {},
        )
    return contact

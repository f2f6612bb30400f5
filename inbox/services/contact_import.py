"""Contacts imported from CSV (F-CT3): preview and column mapping, then a bulk run.

Each data row is checked on its own; a bad row (invalid number or email, a value the
column does not accept, a number already seen in the file) is left out and reported with
its row number (the header is row 1, as in a spreadsheet) and the reason. Every good row is
kept: a number that matches a contact updates it (filled cells only), a new one creates it.
Rows are written in chunks, each in one transaction with the progress it reports.
"""

import csv
import functools
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from ..csv_cells import csv_safe, read_rows
from ..models import (
    Contact,
    ContactChange,
    ContactFieldValue,
    ContactImport,
    ContactNumber,
    CustomField,
    User,
)
from ..phone import InvalidPhoneNumber, normalise_phone
from .consent import contacts_consent_import
from .contacts import field_key, labels_named

log = logging.getLogger(__name__)

CHUNK = 2000
PREVIEW_ROWS = 5
MAX_ROWS = 200_000

# What a column can fill; "field:<key>" fills a custom field.
TARGETS = {
    "": "Ignore this column",
    "name": "Name",
    "phone": "Phone number",
    "whatsapp": "WhatsApp number",
    "email": "Email",
    "labels": "Labels (separated by ; or ,)",
    "consent": "SMS consent (yes / no)",
}
HEADER_GUESSES = {
    "name": ("name", "display_name", "full_name", "contact", "contact_name"),
    "phone": ("phone", "phone_number", "number", "mobile", "tel", "telephone", "msisdn"),
    "whatsapp": ("whatsapp", "whatsapp_number", "whatsapp_id"),
    "email": ("email", "e_mail", "email_address", "mail"),
    "labels": ("labels", "label", "tags", "tag"),
    "consent": ("consent", "sms_consent", "opt_in", "subscribed"),
}
CONSENT_VALUES = {
    **dict.fromkeys(("yes", "y", "true", "1", "opt_in", "opted in", "opted_in", "in"), False),
    **dict.fromkeys(("no", "n", "false", "0", "opt_out", "opted out", "opted_out", "out"), True),
}


class ImportRefused(ValueError):
    """A file or a mapping that cannot be imported; the message says why, for people."""


def guess_target(header: str) -> str:
    key = field_key(header)
    for target, names in HEADER_GUESSES.items():
        if key in names:
            return target
    return f"field:{key}" if key else ""


def import_create(*, by: User, file_name: str, text: str) -> ContactImport:
    """Keep an uploaded file for its preview; the mapping starts from its header."""
    rows = read_rows(text)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ImportRefused("The file is empty: the first row must name the columns.")
    if len(rows) - 1 > MAX_ROWS:
        raise ImportRefused(f"Import at most {MAX_ROWS:,} rows at a time.")
    mapping = {str(i): guess_target(header) for i, header in enumerate(rows[0])}
    if "phone" not in mapping.values():
        # No column is called "phone": offer the first one that looks like numbers.
        for i, _ in enumerate(rows[0]):
            sample = [r[i] for r in rows[1:6] if len(r) > i and r[i].strip()]
            if sample and all(sum(ch.isdigit() for ch in v) >= 7 for v in sample):
                mapping[str(i)] = "phone"
                break
    return ContactImport.objects.create(
        created_by=by,
        file_name=file_name[:255],
        source=text,
        mapping=mapping,
        total_rows=len(rows) - 1,
    )


def import_preview(contact_import: ContactImport) -> tuple[list[str], list[list[str]]]:
    rows = read_rows(contact_import.source, limit=PREVIEW_ROWS + 1)
    return rows[0], rows[1:]


def import_start(*, contact_import: ContactImport, mapping: dict[str, str]) -> ContactImport:
    """Fix the column mapping and queue the import (once)."""
    header = read_rows(contact_import.source, limit=1)[0]
    clean: dict[str, str] = {}
    for i, _ in enumerate(header):
        target = mapping.get(str(i), "")
        if target.startswith("field:"):
            key = field_key(target[len("field:") :])
            target = f"field:{key}" if key else ""
        elif target not in TARGETS:
            raise ImportRefused(f"Column {i + 1}: “{target}” is not something a column can fill.")
        if target and target in clean.values():
            raise ImportRefused(f"Two columns fill “{target_label(target)}”: choose one.")
        clean[str(i)] = target
    if "phone" not in clean.values():
        raise ImportRefused("Choose the column that holds the phone number.")
    from ..tasks import import_contacts

    with transaction.atomic():
        updated = ContactImport.objects.filter(
            pk=contact_import.pk, state=ContactImport.State.PREVIEW
        ).update(mapping=clean, state=ContactImport.State.QUEUED)
        if updated:
            transaction.on_commit(lambda: import_contacts.delay(contact_import.pk))
    contact_import.refresh_from_db()
    return contact_import


def target_label(target: str) -> str:
    if target.startswith("field:"):
        return f"Custom field “{target[len('field:') :]}”"
    return TARGETS.get(target, target)


@dataclass
class Row:
    number: int
    cells: list[str]
    phone: str
    name: str = ""
    whatsapp: str = ""
    email: str = ""
    labels: list[str] = field(default_factory=list)
    opted_out: bool | None = None
    fields: dict[str, str] = field(default_factory=dict)


def parse_row(
    number: int, cells: list[str], mapping: dict[str, str], normalise: Callable[[str], str]
) -> Row:
    """One data row as a Row, or ValueError with the reason it is refused; ``normalise``
    turns a number into E.164 or raises InvalidPhoneNumber."""
    values: dict[str, str] = {}
    for index, target in mapping.items():
        i = int(index)
        if target and i < len(cells):
            values[target] = cells[i].strip()
    raw_phone = values.get("phone", "")
    if not raw_phone:
        raise ValueError("no phone number")
    try:
        phone = normalise(raw_phone)
    except InvalidPhoneNumber as exc:
        raise ValueError(f"invalid phone number: {exc}") from None
    row = Row(number=number, cells=cells, phone=phone, name=values.get("name", "")[:200])
    if values.get("whatsapp"):
        try:
            row.whatsapp = normalise(values["whatsapp"])
        except InvalidPhoneNumber:
            raise ValueError(f"invalid WhatsApp number “{values['whatsapp']}”") from None
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            raise ValueError(f"invalid email “{values['email']}”") from None
        row.email = values["email"]
    if values.get("labels"):
        names = [n.strip() for n in values["labels"].replace(";", ",").split(",") if n.strip()]
        if any(len(n) > 50 for n in names):
            raise ValueError("a label is longer than 50 characters")
        row.labels = list({n.lower(): n for n in names}.values())
    if values.get("consent"):
        consent = values["consent"].lower()
        if consent not in CONSENT_VALUES:
            raise ValueError(f"unknown consent value “{values['consent']}” (use yes or no)")
        row.opted_out = CONSENT_VALUES[consent]
    for target, value in values.items():
        if target.startswith("field:") and value:
            if len(value) > 500:
                raise ValueError(f"{target[len('field:') :]} is longer than 500 characters")
            row.fields[target[len("field:") :]] = value
    return row


def contacts_import_run(*, import_id: int, region: str = "") -> ContactImport:
    """Run a queued import to the end, chunk by chunk (a rerun starts again, harmlessly:
    rows already in update their contact with the same values). An unexpected error marks
    the import failed, keeping the chunks already written, and is raised again."""
    try:
        return _run(import_id=import_id, region=region)
    except Exception as exc:
        log.exception("contact import %s failed", import_id)
        ContactImport.objects.filter(pk=import_id).update(
            state=ContactImport.State.FAILED,
            failure=f"The import stopped unexpectedly ({type(exc).__name__}).",
            finished_at=timezone.now(),
        )
        raise


def _run(*, import_id: int, region: str) -> ContactImport:
    contact_import = ContactImport.objects.select_related("created_by").get(pk=import_id)
    if contact_import.state not in (ContactImport.State.QUEUED, ContactImport.State.RUNNING):
        return contact_import
    rows = read_rows(contact_import.source)
    header, data = rows[0], rows[1:]
    ContactImport.objects.filter(pk=import_id).update(
        state=ContactImport.State.RUNNING,
        total_rows=len(data),
        processed_rows=0,
        created_count=0,
        updated_count=0,
        error_count=0,
    )
    errors = io.StringIO()
    writer = csv.writer(errors)
    writer.writerow(["row", "reason", *map(csv_safe, header)])
    mapping = contact_import.mapping
    fields = _custom_fields(
        {
            target[len("field:") :]: header[int(index)].strip() if int(index) < len(header) else ""
            for index, target in mapping.items()
            if target.startswith("field:")
        }
    )
    # Each distinct number is parsed once (a WhatsApp column often repeats the phone's).
    normalise = functools.cache(functools.partial(normalise_phone, region=region or None))
    seen: dict[str, int] = {}
    # Second numbers of merged contacts (F-CT4): made by hand, one merge at a time, so few.
    secondary = set(ContactNumber.objects.values_list("phone_e164", flat=True))
    for start in range(0, len(data), CHUNK):
        good: list[Row] = []
        bad = 0
        for offset, cells in enumerate(data[start : start + CHUNK]):
            number = start + offset + 2
            if not any(cell.strip() for cell in cells):
                continue
            try:
                row = parse_row(number, cells, mapping, normalise)
                if row.phone in seen:
                    raise ValueError(f"same number as row {seen[row.phone]}")
                if row.phone in secondary:
                    raise ValueError(
                        "second number of a merged contact: use the contact's main number"
                    )
            except ValueError as exc:
                writer.writerow([number, str(exc), *map(csv_safe, cells)])
                bad += 1
                continue
            seen[row.phone] = number
            good.append(row)
        with transaction.atomic():
            created, updated = _write_chunk(good, fields=fields, by=contact_import.created_by)
            ContactImport.objects.filter(pk=import_id).update(
                processed_rows=F("processed_rows") + len(data[start : start + CHUNK]),
                created_count=F("created_count") + created,
                updated_count=F("updated_count") + updated,
                error_count=F("error_count") + bad,
            )
    ContactImport.objects.filter(pk=import_id).update(
        state=ContactImport.State.DONE,
        processed_rows=len(data),
        errors_csv=errors.getvalue(),
        finished_at=timezone.now(),
    )
    contact_import.refresh_from_db()
    return contact_import


def _custom_fields(labels: dict[str, str]) -> dict[str, CustomField]:
    """The custom fields named by the mapping's keys; a new one is labelled with its
    column's header ("Order ID")."""
    for key, label in labels.items():
        CustomField.objects.get_or_create(name=key, defaults={"label": label[:50] or key})
    return {f.name: f for f in CustomField.objects.filter(name__in=labels)}


def _write_chunk(rows: list[Row], *, fields: dict[str, CustomField], by: User) -> tuple[int, int]:
    """Create and update the contacts of ``rows`` in bulk; return (created, updated).

    New and changed contacts are written by one upsert on the phone number, and every other
    table by one bulk insert, so a chunk costs a handful of queries whatever its size."""
    if not rows:
        return 0, 0
    now = timezone.now()
    existing = {
        c.phone_e164: c
        for c in Contact.objects.filter(phone_e164__in=[r.phone for r in rows]).only(
            "phone_e164", "display_name", "whatsapp_id", "email", "sms_opted_out_at"
        )
    }
    old_values = {
        (contact_id, field_id): value
        for contact_id, field_id, value in ContactFieldValue.objects.filter(
            contact_id__in=[c.pk for c in existing.values()],
            field_id__in=[f.pk for f in fields.values()],
        ).values_list("contact_id", "field_id", "value")
    }
    # Per number to write: (name, WhatsApp, email) and the changes for its history.
    writes: dict[str, tuple[str, str, str]] = {}
    history: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        contact = existing.get(row.phone)
        if contact is None:
            writes[row.phone] = (row.name, row.whatsapp, row.email)
            history[row.phone] = []
            continue
        changes = []
        for attr, label, value in (
            ("display_name", "Name", row.name),
            ("whatsapp_id", "WhatsApp", row.whatsapp),
            ("email", "Email", row.email),
        ):
            if value and value != getattr(contact, attr):
                changes.append({"field": label, "old": getattr(contact, attr), "new": value})
                setattr(contact, attr, value)
        for key, value in row.fields.items():
            old = old_values.get((contact.pk, fields[key].pk), "")
            if value != old:
                changes.append({"field": str(fields[key]), "old": old, "new": value})
        if changes:
            writes[row.phone] = (contact.display_name, contact.whatsapp_id, contact.email)
            history[row.phone] = changes
    written = Contact.objects.bulk_create(
        [
            Contact(
                phone_e164=phone,
                display_name=name,
                whatsapp_id=whatsapp,
                email=email,
                last_activity_at=now,
            )
            for phone, (name, whatsapp, email) in writes.items()
        ],
        update_conflicts=True,
        unique_fields=["phone_e164"],
        update_fields=["display_name", "whatsapp_id", "email"],
    )
    # The consent service reads each contact's current opt-out: existing contacts keep theirs.
    contact_of = {c.phone_e164: c for c in written} | existing
    _insert(
        ContactChange,
        ("contact", "actor", "source", "at", "changes"),
        [
            (contact_of[phone].pk, by.pk, ContactChange.Source.IMPORTED, now, changes)
            for phone, changes in history.items()
        ],
    )
    _insert(
        ContactFieldValue,
        ("contact", "field", "value"),
        [
            (contact_of[r.phone].pk, fields[key].pk, value)
            for r in rows
            for key, value in r.fields.items()
        ],
        on_conflict="(contact_id, field_id) DO UPDATE SET value = EXCLUDED.value",
    )
    label_names = sorted({name for r in rows for name in r.labels}, key=str.lower)
    if label_names:
        by_name = {label.name.lower(): label for label in labels_named(label_names)}
        _insert(
            Contact.labels.through,
            ("contact", "label"),
            [(contact_of[r.phone].pk, by_name[n.lower()].pk) for r in rows for n in r.labels],
            on_conflict="DO NOTHING",
        )
    for opted_out in (True, False):
        contacts_consent_import(
            contacts=[contact_of[r.phone] for r in rows if r.opted_out is opted_out],
            opted_out=opted_out,
            actor=by,
            detail="CSV import",
        )
    created = len(rows) - len(existing)
    return created, len(history) - created


def _insert(
    model: type[models.Model], names: tuple[str, ...], rows: list[tuple], *, on_conflict: str = ""
) -> None:
    """Insert plain tuples (values of the fields ``names``) without a model instance per
    row, in as few statements as the database allows; ``on_conflict`` is the rest of an
    ON CONFLICT clause, if any."""
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    into = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    )
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = connection.ops.bulk_batch_size(fields, rows) or 1
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(
                f"{into} VALUES {', '.join([placeholders] * len(chunk))}"
                + (f" ON CONFLICT {on_conflict}" if on_conflict else ""),
                [
                    f.get_db_prep_save(v, connection)
                    for row in chunk
                    for f, v in zip(fields, row, strict=True)
                ],
            )

"""Contacts imported from CSV (F-CT3): preview and column mapping, then a bulk run.

Each data row is checked on its own; a bad row (invalid number or email, a value the
column does not accept, a contact an earlier row of the file reached) is left out and
reported with its row number (the header is row 1, as in a spreadsheet) and the reason.
Every good row is kept: a number that matches a contact updates it (filled cells only), a
new one creates it. A merged contact's second number (F-CT4) matches that contact as its
main number does, and the contact keeps both.
Rows are written in chunks, each in one transaction with the progress it reports.

The upload is read by ``inbox.pure.csv_cells``: a file it cannot read, or one past the limits
(rows, columns, a column name's length), is refused at once with the reason, and a row it
could not read as written (a stray non-UTF-8 byte, a NUL) is named on the preview and left
out. Only an admin's import changes SMS consent, and never re-subscribes a customer whose
latest opt-out was their own: that row is imported without it and reported.
"""

import csv
import functools
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..bulk_insert import insert_rows
from ..enqueue import enqueue
from ..models import (
    ConsentRecord,
    Contact,
    ContactChange,
    ContactFieldValue,
    ContactIdentity,
    ContactImport,
    CustomField,
    IdentityKind,
    ImportedContact,
    User,
)
from ..models.ids import new_public_id
from ..pure.csv_cells import (
    Decoded,
    UnreadableFile,
    csv_safe,
    csv_unsafe,
    decode_upload,
    numbered_rows,
    read_rows,
)
from ..pure.phone import InvalidPhoneNumber, normalise_phone
from .consent import imported_consent_changes, imported_consent_record
from .contacts import field_key, labels_named

log = logging.getLogger(__name__)

CHUNK = 5000
PREVIEW_ROWS = 5
MAX_ROWS = 200_000
MAX_COLUMNS = 50
MAX_HEADER_CHARS = 100
# Our own export's column: the contact's public id, which an import does not write.
IGNORED_HEADERS = ("contact_id",)
FIELD_PREFIX = "field:"

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


# What the upsert writes of a contact: ``_write_chunk``'s six values, then the times.
CONTACT_COLUMNS = (
    "public_id",
    "phone_e164",
    "display_name",
    "whatsapp_id",
    "email",
    "sms_opted_out_at",
    "created_at",
    "last_activity_at",
)


CUSTOMER_SOURCES = (ConsentRecord.Source.KEYWORD, ConsentRecord.Source.PROVIDER)
CUSTOMER_STOP_KEPT = (
    "imported, but not re-subscribed: the customer opted out themselves (STOP); "
    "only they can opt back in"
)


class ImportRefused(ValueError):
    """A file or a mapping that cannot be imported; the message says why, for people."""


def guess_target(header: str, *, consent: bool = True) -> str:
    """What a column called ``header`` holds, by its name; "" (ignored) for the consent
    column of a user who may not change consent (``consent`` False) and for our own
    export's contact ids. "field:mobile" names the custom field ``mobile`` whatever its
    key (our export writes a custom field so when its key reads as another column)."""
    header = csv_unsafe(header).strip()
    if header.lower().startswith(FIELD_PREFIX):
        key = field_key(header[len(FIELD_PREFIX) :])
        return f"field:{key}" if key else ""
    key = field_key(header)
    if key in IGNORED_HEADERS:
        return ""
    for target, names in HEADER_GUESSES.items():
        if key in names:
            return "" if target == "consent" and not consent else target
    return f"field:{key}" if key else ""


def field_header(key: str) -> str:
    """The header that names the custom field ``key`` in a file to import again: the key,
    or "field:<key>" when the key alone would read as another column ("mobile")."""
    taken = guess_target(key) != f"field:{key}"
    return f"{FIELD_PREFIX}{key}" if taken else key


def may_change_consent(user: User) -> bool:
    """Only an admin's import changes SMS consent (as only admins import WhatsApp opt-ins):
    an agent's would let anyone re-subscribe a customer."""
    return user.is_admin


def import_create(
    *, by: User, file_name: str, data: bytes | None = None, text: str | None = None
) -> ContactImport:
    """Keep an uploaded file (``data`` as uploaded, or ``text`` already decoded) for its
    preview; the mapping starts from its header. The rows are counted as they are read,
    and a file past the limits is refused as soon as it is seen to be."""
    try:
        decoded = decode_upload(data) if data is not None else Decoded(text or "")
        header, total, problems, sample = _scan(decoded)
    except UnreadableFile as unreadable:
        raise ImportRefused(str(unreadable)) from None
    consent = may_change_consent(by)
    mapping = {str(i): guess_target(name, consent=consent) for i, name in enumerate(header)}
    if "phone" not in mapping.values():
        # No column is called "phone": offer the first one that looks like numbers.
        for i, _ in enumerate(header):
            values = [r[i] for r in sample if len(r) > i and r[i].strip()]
            if values and all(sum(ch.isdigit() for ch in v) >= 7 for v in values):
                mapping[str(i)] = "phone"
                break
    return ContactImport.objects.create(
        created_by=by,
        file_name=file_name[:255].replace("\x00", ""),
        source=decoded.text,
        mapping=mapping,
        total_rows=total,
        encoding=decoded.encoding,
        row_problems=problems,
    )


def _scan(decoded: Decoded) -> tuple[list[str], int, dict[str, str], list[list[str]]]:
    """The header, the number of data rows, the rows that cannot be imported as read (row
    number as text -> reason) and the first few rows, reading ``decoded`` once."""
    rows = numbered_rows(decoded.text)
    lines, header = next(rows, (range(0), []))
    if not any(cell.strip() for cell in header):
        raise UnreadableFile("The file is empty: the first row must name the columns.")
    if len(header) > MAX_COLUMNS:
        raise UnreadableFile(
            f"The first row names {len(header):,} columns: an import reads at most "
            f"{MAX_COLUMNS}. Remove the columns you do not need and upload the file again."
        )
    for i, name in enumerate(header, start=1):
        if len(name) > MAX_HEADER_CHARS:
            raise UnreadableFile(
                f"The name of column {i} is {len(name):,} characters long (at most "
                f"{MAX_HEADER_CHARS}): the first row must name the columns."
            )
    if decoded.bad_lines.intersection(lines):
        raise UnreadableFile(
            "The first row is not valid UTF-8 while the rest of the file is: save the file "
            "as “CSV UTF-8” and upload it again."
        )
    total, filled = 0, False
    problems: dict[str, str] = {}
    sample: list[list[str]] = []
    for number, (lines, cells) in enumerate(rows, start=2):
        total += 1
        if total > MAX_ROWS:
            raise UnreadableFile(
                f"The file has more than {MAX_ROWS:,} rows: import at most {MAX_ROWS:,} at a "
                "time (split the file)."
            )
        if not filled:
            filled = any(cell.strip() for cell in cells)
        if len(sample) < PREVIEW_ROWS:
            sample.append(cells)
        if not (decoded.bad_lines or decoded.nul_lines):
            continue
        if decoded.bad_lines.intersection(lines):
            problems[str(number)] = (
                "not valid UTF-8 (read here as Windows-1252): check it and import it again"
            )
        elif decoded.nul_lines.intersection(lines):
            problems[str(number)] = "held a NUL character (removed): check it and import it again"
    if not filled:
        raise UnreadableFile("The file has no rows to import, only the header.")
    return header, total, problems, sample


def import_preview(contact_import: ContactImport) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows, each cut to the header's columns (a cell beyond them
    refuses its row, with the reason, when the import runs)."""
    rows = read_rows(contact_import.source, limit=PREVIEW_ROWS + 1)
    header = rows[0]
    return header, [cells[: len(header)] for cells in rows[1:]]


def import_start(*, contact_import: ContactImport, mapping: dict[str, str]) -> ContactImport:
    """Fix the column mapping and queue the import (once). The consent column of an
    import uploaded by someone other than an admin is ignored."""
    header = read_rows(contact_import.source, limit=1)[0]
    consent = may_change_consent(contact_import.created_by)
    clean: dict[str, str] = {}
    for i, _ in enumerate(header):
        target = mapping.get(str(i), "")
        if target == "consent" and not consent:
            target = ""  # the preview says the column is ignored
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
        ).update(mapping=clean, state=ContactImport.State.QUEUED, worked_at=timezone.now())
        if updated:
            transaction.on_commit(lambda: enqueue(import_contacts, contact_import.pk))
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
    # The contact's number in E.164; ``_run`` reads a merged contact's second number as
    # the contact's main one, so the row updates that contact.
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
    turns a number into E.164 or raises InvalidPhoneNumber. ``mapping`` has a target
    (maybe "") for every column of the header: a filled cell beyond them refuses the row.
    A cell our export protected from spreadsheets (``'=…``) is read without the quote."""
    extra = [cell for cell in cells[len(mapping) :] if cell.strip()]
    if extra:
        raise ValueError(
            f"{len(mapping) + len(extra)} filled cells where the header names {len(mapping)} "
            "columns (a separator inside a cell that is not quoted?)"
        )
    values: dict[str, str] = {}
    for index, target in mapping.items():
        i = int(index)
        if target and i < len(cells):
            values[target] = csv_unsafe(cells[i].strip())
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
        # Separated by ";" when there is one (a label may hold a comma), else by ",".
        separator = ";" if ";" in values["labels"] else ","
        names = [n.strip() for n in values["labels"].split(separator) if n.strip()]
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
    """Run a queued import to the end, chunk by chunk. A chunk is written in one
    transaction with its progress, so a rerun of an import left running (its worker was
    stopped) carries on after the last chunk written: no row is lost or written twice. An
    unexpected error marks the import failed, keeping the chunks already written, and is
    raised again."""
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


def contact_imports_requeue(*, now: datetime) -> int:
    """Queue again each import whose task was lost: queued for
    ``IMPORT_REQUEUE_AFTER_SECONDS`` (the broker was down when it was asked for), or left
    running with no chunk written for ``IMPORT_STALE_SECONDS`` (its worker was killed)."""
    from ..tasks import import_contacts  # the task calls this module

    waiting = list(
        ContactImport.objects.filter(
            _lost_task(now, ContactImport.State.QUEUED, settings.IMPORT_REQUEUE_AFTER_SECONDS)
            | _lost_task(now, ContactImport.State.RUNNING, settings.IMPORT_STALE_SECONDS)
        ).values_list("pk", flat=True)[:100]
    )
    return sum(enqueue(import_contacts, pk, later="the next sweep will") for pk in waiting)


def _lost_task(now: datetime, state: str, after_seconds: int) -> Q:
    return Q(state=state) & (
        Q(worked_at__isnull=True) | Q(worked_at__lt=now - timedelta(seconds=after_seconds))
    )


def _claim(contact_import: ContactImport, *, total_rows: int) -> int | None:
    """Take ``contact_import`` for this task: the rows written before (0 for a queued one),
    or None when another task has it or it is over. A running import is taken over only
    when no chunk was written for ``IMPORT_STALE_SECONDS``, so a duplicate task never runs
    beside a live one."""
    now = timezone.now()
    imports = ContactImport.objects.filter(pk=contact_import.pk)
    started = imports.filter(state=ContactImport.State.QUEUED).update(
        state=ContactImport.State.RUNNING,
        worked_at=now,
        total_rows=total_rows,
        processed_rows=0,
        created_count=0,
        updated_count=0,
        error_count=0,
        consent_count=0,
        consent_kept_count=0,
    )
    if started:
        return 0
    resumed = imports.filter(
        _lost_task(now, ContactImport.State.RUNNING, settings.IMPORT_STALE_SECONDS)
    ).update(worked_at=now)
    if resumed:
        return imports.values_list("processed_rows", flat=True).get()
    return None


def _run(*, import_id: int, region: str) -> ContactImport:
    contact_import = ContactImport.objects.select_related("created_by").get(pk=import_id)
    if contact_import.state not in (ContactImport.State.QUEUED, ContactImport.State.RUNNING):
        return contact_import
    rows = read_rows(contact_import.source)
    header, data = rows[0], rows[1:]
    # The rows written before, by a run that was stopped: read again (for the numbers they
    # hold and the errors they had), not written or counted again.
    written = _claim(contact_import, total_rows=len(data))
    if written is None:
        contact_import.refresh_from_db()
        return contact_import
    errors = io.StringIO()
    writer = csv.writer(errors)
    writer.writerow(["row", "reason", *map(csv_safe, header)])
    mapping = contact_import.mapping
    if not may_change_consent(contact_import.created_by):
        mapping = {i: "" if t == "consent" else t for i, t in mapping.items()}
    problems = contact_import.row_problems
    fields = _custom_fields(
        {
            target[len("field:") :]: header[int(index)].strip() if int(index) < len(header) else ""
            for index, target in mapping.items()
            if target.startswith("field:")
        }
    )
    # Each distinct number is parsed once (a WhatsApp column often repeats the phone's).
    normalise = functools.cache(functools.partial(normalise_phone, region=region or None))
    # Each contact's first row and the number it came with, by the contact's main number.
    seen: dict[str, tuple[int, str]] = {}
    # Other numbers of contacts (kept from merges, F-CT4): made by hand, one merge at a
    # time, so few. A merge keeps a main number for every contact that has another one.
    main_numbers = dict(
        ContactIdentity.objects.filter(kind=IdentityKind.PHONE, contact__phone_e164__isnull=False)
        .exclude(address=F("contact__phone_e164"))
        .values_list("address", "contact__phone_e164")
    )
    # Opt-ins of the chunks written before: to list again those that were not applied.
    resubscribing: list[Row] = []
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        good: list[Row] = []
        bad = 0
        for offset, cells in enumerate(chunk):
            number = start + offset + 2
            new = start + offset >= written
            if not any(cell.strip() for cell in cells):
                continue
            try:
                if str(number) in problems:
                    raise ValueError(problems[str(number)])
                row = parse_row(number, cells, mapping, normalise)
                given = row.phone
                row.phone = main_numbers.get(given, given)
                if row.phone in seen:
                    earlier, earlier_given = seen[row.phone]
                    if earlier_given == given:
                        raise ValueError(f"same number as row {earlier}")
                    raise ValueError(f"same contact as row {earlier}, by another of its numbers")
            except ValueError as exc:
                writer.writerow([number, str(exc), *map(csv_safe, cells)])
                if new:
                    bad += 1
                continue
            seen[row.phone] = (number, given)
            if new:
                good.append(row)
            elif row.opted_out is False:
                resubscribing.append(row)
        fresh = min(len(chunk), start + len(chunk) - written)
        if fresh <= 0:
            continue
        with transaction.atomic():
            done = _write_chunk(
                good, fields=fields, by=contact_import.created_by, contact_import_id=import_id
            )
            ContactImport.objects.filter(pk=import_id).update(
                processed_rows=F("processed_rows") + fresh,
                created_count=F("created_count") + done.created,
                updated_count=F("updated_count") + done.updated,
                error_count=F("error_count") + bad,
                consent_count=F("consent_count") + done.consent,
                consent_kept_count=F("consent_kept_count") + len(done.kept),
                worked_at=timezone.now(),
            )
        for row in done.kept:
            writer.writerow([row.number, CUSTOMER_STOP_KEPT, *map(csv_safe, row.cells)])
    for row in _kept_before(resubscribing):
        writer.writerow([row.number, CUSTOMER_STOP_KEPT, *map(csv_safe, row.cells)])
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


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    # Contacts whose consent changed, and the rows that asked to re-subscribe a customer
    # whose latest opt-out was their own (imported without that change).
    consent: int = 0
    kept: list[Row] = field(default_factory=list)


def _write_chunk(
    rows: list[Row], *, fields: dict[str, CustomField], by: User, contact_import_id: int
) -> Written:
    """Create and update the contacts of ``rows`` in bulk, each kept as one of the import's
    contacts (``ImportedContact``: the uploaded list a campaign can send to).

    Each contact is written once, by one upsert on the phone number that carries its
    consent too, and every other table by one bulk insert, so a chunk costs a handful of
    statements whatever its size. The contacts already there are locked while the chunk is
    compared and written, so an edit or an opt-out arriving meanwhile waits and is kept."""
    if not rows:
        return Written()
    now = timezone.now()
    existing = {
        c.phone_e164: c
        for c in Contact.objects.select_for_update()
        .filter(phone_e164__in=[r.phone for r in rows])
        .order_by("pk")
        .only("public_id", "phone_e164", "display_name", "whatsapp_id", "email", "sms_opted_out_at")
    }
    old_values = {
        (contact_id, field_id): value
        for contact_id, field_id, value in ContactFieldValue.objects.filter(
            contact_id__in=[c.pk for c in existing.values()],
            field_id__in=[f.pk for f in fields.values()],
        ).values_list("contact_id", "field_id", "value")
    }
    consent = imported_consent_changes(
        (r.phone, existing[r.phone].sms_opted_out_at if r.phone in existing else None, r.opted_out)
        for r in rows
    )
    kept = _customer_stops(
        {existing[phone].pk: phone for phone, opted_out in consent.items() if not opted_out}
    )
    for phone in kept:
        del consent[phone]
    # The contacts to write, as the upsert's rows, and the changes for their history.
    writes: list[tuple] = []
    history: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        contact = existing.get(row.phone)
        if row.phone in consent:
            opted_out_at = now if consent[row.phone] else None
        else:
            opted_out_at = contact.sms_opted_out_at if contact else None
        if contact is None:
            writes.append(
                (new_public_id(), row.phone, row.name, row.whatsapp, row.email, opted_out_at)
            )
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
            history[row.phone] = changes
        if changes or row.phone in consent:
            writes.append(
                (
                    contact.public_id,
                    row.phone,
                    contact.display_name,
                    contact.whatsapp_id,
                    contact.email,
                    opted_out_at,
                )
            )
    written = insert_rows(
        Contact,
        CONTACT_COLUMNS,
        [(*values, now, now) for values in writes],
        on_conflict="(phone_e164) DO UPDATE SET display_name = EXCLUDED.display_name, "
        "whatsapp_id = EXCLUDED.whatsapp_id, email = EXCLUDED.email, "
        "sms_opted_out_at = EXCLUDED.sms_opted_out_at",
        returning=("phone_e164", "id"),
    )
    ids = {phone: c.pk for phone, c in existing.items()} | dict(written)
    _identities_add([pk for _phone, pk in written], at=now)
    # One row per contact: the run reads each contact's rows once (``seen``), and a run
    # taken over writes only the chunks not written before.
    insert_rows(
        ImportedContact,
        ("contact_import", "contact"),
        [(contact_import_id, ids[r.phone]) for r in rows],
    )
    insert_rows(
        ContactChange,
        ("contact", "actor", "source", "at", "changes"),
        [
            (ids[phone], by.pk, ContactChange.Source.IMPORTED, now, changes)
            for phone, changes in history.items()
        ],
    )
    insert_rows(
        ContactFieldValue,
        ("contact", "field", "value"),
        [
            (ids[r.phone], fields[key].pk, value)
            for r in rows
            for key, value in r.fields.items()
            if old_values.get((ids[r.phone], fields[key].pk)) != value
        ],
        on_conflict="(contact_id, field_id) DO UPDATE SET value = EXCLUDED.value",
    )
    label_names = sorted({name for r in rows for name in r.labels}, key=str.lower)
    if label_names:
        by_name = {label.name.lower(): label for label in labels_named(label_names)}
        insert_rows(
            Contact.labels.through,
            ("contact", "label"),
            [(ids[r.phone], by_name[n.lower()].pk) for r in rows for n in r.labels],
            on_conflict="DO NOTHING",
        )
    imported_consent_record(
        changes={ids[phone]: opted_out for phone, opted_out in consent.items()},
        actor=by,
        detail="CSV import",
        at=now,
    )
    created = len(rows) - len(existing)
    return Written(
        created=created,
        updated=len(history) - created,
        consent=len(consent),
        kept=[r for r in rows if r.phone in kept],
    )


def _identities_add(contact_ids: list[int], *, at) -> None:
    """The written contacts' phone, WhatsApp number and e-mail as identities, in one
    statement; an address another contact holds already stays theirs."""
    if not contact_ids:
        return
    table = connection.ops.quote_name(Contact._meta.db_table)
    identities = connection.ops.quote_name(ContactIdentity._meta.db_table)
    ids = ", ".join(str(int(pk)) for pk in contact_ids)
    at = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {identities} (contact_id, kind, address, added_at) "
            f"SELECT id, %s, phone_e164, %s FROM {table} "
            f"WHERE id IN ({ids}) AND phone_e164 IS NOT NULL "
            f"UNION ALL SELECT id, %s, whatsapp_id, %s FROM {table} "
            f"WHERE id IN ({ids}) AND whatsapp_id <> '' "
            f"UNION ALL SELECT id, %s, LOWER(email), %s FROM {table} "
            f"WHERE id IN ({ids}) AND email <> '' "
            "ON CONFLICT DO NOTHING",
            [IdentityKind.PHONE, at, IdentityKind.WHATSAPP, at, IdentityKind.EMAIL, at],
        )


def _kept_before(rows: list[Row]) -> list[Row]:
    """Of the opt-in rows of chunks a stopped run wrote, those it did not apply (the
    customer had opted out themselves), for the report: their contacts are still opted out,
    last by their own word."""
    if not rows:
        return []
    opted_out = dict(
        Contact.objects.filter(
            phone_e164__in=[r.phone for r in rows], sms_opted_out_at__isnull=False
        ).values_list("pk", "phone_e164")
    )
    kept = _customer_stops(opted_out)
    return [r for r in rows if r.phone in kept]


def _customer_stops(phones: dict[int, str]) -> set[str]:
    """Of the opted-out contacts ``phones`` (id -> main number), those whose latest opt-out
    came from the customer (a STOP, or the provider's opt-out signal): an import does not
    undo a customer's own word."""
    if not phones:
        return set()
    latest: dict[int, str] = {}
    for contact_id, source in (
        ConsentRecord.objects.filter(contact_id__in=phones, kind=ConsentRecord.Kind.OPT_OUT)
        .order_by("contact_id", "-at", "-id")
        .values_list("contact_id", "source")
    ):
        latest.setdefault(contact_id, source)
    return {phones[c] for c, source in latest.items() if source in CUSTOMER_SOURCES}

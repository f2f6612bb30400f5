"""CSV import of contacts at scale: 100,000 rows through the import service, as the worker
runs it (a quarter update contacts of the data set, 1 % are bad rows)."""

import time
from dataclasses import dataclass

from inbox.models import ConsentRecord, Contact, ContactChange, ContactImport, User
from inbox.services.contact_import import contacts_import_run, import_create

from .dataset import ADMIN, phone_number

# Far above the data set's contact indexes, so new numbers never collide with its own.
NEW_NUMBERS_FROM = 50_000_000


@dataclass
class ImportResult:
    rows: int
    seconds: float
    per_second: float
    created: int
    updated: int
    errors: int


def demo_csv(rows: int, *, run: str = "") -> str:
    """``rows`` rows of a file to import; ``run`` goes into every name, so that a second
    run on a reused data set updates its quarter of contacts again rather than finding
    them unchanged."""
    existing = list(
        Contact.objects.filter(phone_e164__isnull=False)
        .order_by("pk")
        .values_list("phone_e164", flat=True)[: rows // 4]
    )
    lines = ["name,phone,email,labels,Order ID,consent"]
    for i in range(rows):
        if i % 100 == 99:
            phone = "12345"  # a bad row
        elif i < len(existing):
            phone = existing[i]
        else:
            phone = phone_number(NEW_NUMBERS_FROM + i)
        consent = ("yes", "no", "")[i % 3]
        lines.append(
            f"Person {i}{run},{phone},person{i}@example.com,Imported;Batch {i % 5},O-{i},{consent}"
        )
    return "\n".join(lines) + "\n"


def measure_import(rows: int = 100_000) -> ImportResult:
    """Time the import of ``rows`` rows, then remove what it created (the data set stays
    reusable; the contacts it updated keep their new values)."""
    text = demo_csv(rows, run=time.strftime(" %H%M%S"))
    admin = User.objects.get(username=ADMIN)
    contact_import = import_create(by=admin, file_name="bench.csv", text=text)
    ContactImport.objects.filter(pk=contact_import.pk).update(state=ContactImport.State.QUEUED)
    started = time.perf_counter()
    done = contacts_import_run(import_id=contact_import.pk, region="")
    seconds = time.perf_counter() - started
    new = Contact.objects.filter(created_at__gte=contact_import.created_at, conversations=None)
    ContactChange.objects.filter(contact__in=new).delete()
    ConsentRecord.objects.filter(contact__in=new).delete()
    new.delete()
    ContactImport.objects.filter(pk=contact_import.pk).delete()
    return ImportResult(
        rows=rows,
        seconds=round(seconds, 1),
        per_second=round(rows / seconds, 1),
        created=done.created_count,
        updated=done.updated_count,
        errors=done.error_count,
    )

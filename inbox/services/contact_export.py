"""Contacts exported as CSV (F-CT3): every column the import reads, custom fields too, so
that importing an export updates the same contacts and changes nothing; each export is
recorded (who, when, which filters, how many rows) for admins to see."""

from collections.abc import Iterator

from django.utils.http import urlencode

from ..models import ContactExport, CustomField, User
from ..pure.csv_cells import csv_safe
from ..selectors.contacts import ContactFilters, contacts_for_export
from .contact_import import field_header

EXPORT_HEADER = ["name", "phone", "whatsapp", "email", "labels", "sms_consent", "contact_id"]


def labels_cell(names: list[str]) -> str:
    """Labels separated by "; ". A label may hold a comma, and the import splits on
    commas when a cell holds no semicolon: then the cell ends with one."""
    cell = "; ".join(sorted(names, key=str.lower))
    return cell + ";" if "," in cell and ";" not in cell else cell


def contacts_export_rows(*, by: User, filters: ContactFilters) -> Iterator[list[str]]:
    """The header, then a row for each contact of the filtered list, as cells a
    spreadsheet shows as text. The export is recorded before the first row, and its row
    count once the last has gone out."""
    fields = list(CustomField.objects.order_by("name").only("name"))
    export = ContactExport.objects.create(
        exported_by=by, filters=urlencode(filters.as_params())[:500]
    )
    yield [*EXPORT_HEADER, *(field_header(f.name) for f in fields)]
    count = 0
    for contact in contacts_for_export(filters=filters):
        values = {v.field_id: v.value for v in contact.field_values.all()}
        yield [
            csv_safe(cell)
            for cell in (
                contact.display_name,
                contact.phone_e164 or "",
                contact.whatsapp_id,
                contact.email,
                labels_cell([label.name for label in contact.labels.all()]),
                "no" if contact.sms_opted_out_at else "",
                contact.public_id,
                *(values.get(f.pk, "") for f in fields),
            )
        ]
        count += 1
    ContactExport.objects.filter(pk=export.pk).update(row_count=count)

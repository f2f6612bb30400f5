"""CSV import of contacts (F-CT3): preview and mapping, a task with progress, bad rows
reported with their row numbers, good rows all kept, matching rows updating contacts."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from inbox.models import (
    ConsentRecord,
    Contact,
    ContactChange,
    ContactImport,
    Message,
    MessageDirection,
)
from inbox.services.consent import contact_consent_change
from inbox.services.contact_import import (
    CHUNK,
    CUSTOMER_STOP_KEPT,
    contacts_import_run,
    import_create,
    import_start,
)
from inbox.services.contact_merge import contacts_merge
from inbox.services.contacts import contact_update
from inbox.services.sending import SendRefused, message_send
from inbox.tasks import requeue_lost_contact_imports

from ..conftest import receive

DEMO = (
    "name,phone,email,labels,Order ID,consent\n"
    "Ann Lee,+44 7911 123456,ann@example.com,VIP;Retail,A-1001,yes\n"
    "Bob Stone,+1 202 555 0123,bob@example.com,Wholesale,,no\n"
    "Dana Cruz,12345,dana@example.com,,,yes\n"
    "Eve Park,+1 (202) 555-0123,eve@example.com,,,\n"
    "Farid Khan,+1 415 555 0101,farid@example,,C-3003,\n"
    "Gia Rossi,+39 312 345 6789,gia@example.com,Retail,,maybe\n"
)


def upload(client, text: str, name: str = "contacts.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")
    return client.post(reverse("inbox:contacts_import"), {"file": file})


def run(contact_import: ContactImport, **mapping) -> ContactImport:
    mapping = mapping or contact_import.mapping
    import_start(contact_import=contact_import, mapping=mapping)
    return contacts_import_run(import_id=contact_import.pk)


def test_the_preview_maps_columns_from_the_header(client, admin):
    client.force_login(admin)
    response = upload(client, DEMO)
    contact_import = ContactImport.objects.get()
    assert response.url == reverse("inbox:contact_import", args=[contact_import.public_id])
    assert contact_import.mapping == {
        "0": "name",
        "1": "phone",
        "2": "email",
        "3": "labels",
        "4": "field:order_id",
        "5": "consent",
    }
    page = client.get(response.url).content.decode()
    assert "6 rows after the header" in page and "Ann Lee" in page
    assert "New custom field “Order ID”" in page


def test_starting_queues_the_task_once(client, alice, tasks, django_capture_on_commit_callbacks):
    client.force_login(alice)
    upload(client, DEMO)
    contact_import = ContactImport.objects.get()
    url = reverse("inbox:import_run", args=[contact_import.public_id])
    data = {f"col_{i}": target for i, target in contact_import.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, data)
        client.post(url, data)
    assert tasks.names == ["inbox.tasks.import_contacts"]
    contact_import.refresh_from_db()
    assert contact_import.state == ContactImport.State.QUEUED


def test_good_rows_are_kept_and_bad_rows_reported_with_row_and_reason(admin, tasks):
    contact_import = run(import_create(by=admin, file_name="demo.csv", text=DEMO))
    assert contact_import.state == ContactImport.State.DONE
    assert (contact_import.created_count, contact_import.error_count) == (2, 4)
    ann = Contact.objects.get(phone_e164="+447911123456")
    assert ann.display_name == "Ann Lee" and ann.email == "ann@example.com"
    assert sorted(label.name for label in ann.labels.all()) == ["Retail", "VIP"]
    assert {v.field.name: v.value for v in ann.field_values.all()} == {"order_id": "A-1001"}
    errors = list(csv.reader(io.StringIO(contact_import.errors_csv)))
    assert errors[0][:3] == ["row", "reason", "name"]
    reasons = {int(row[0]): row[1] for row in errors[1:]}
    assert sorted(reasons) == [4, 5, 6, 7]
    assert reasons[4].startswith("invalid phone number")
    assert reasons[5] == "same number as row 3"
    assert reasons[6].startswith("invalid email")
    assert reasons[7].startswith("unknown consent value “maybe”")


def test_a_row_matching_a_contact_updates_only_the_filled_cells(alice, alice_line):
    contact = Contact.objects.create(phone_e164="+12025550123", display_name="Robert")
    contact_update(contact=contact, by=alice, email="old@example.com", custom_fields={"tier": "1"})
    text = "phone,name,email\n+1 202 555 0123,Bob Stone,\n"
    contact_import = run(import_create(by=alice, file_name="x.csv", text=text))
    assert (contact_import.created_count, contact_import.updated_count) == (0, 1)
    contact.refresh_from_db()
    assert contact.display_name == "Bob Stone" and contact.email == "old@example.com"
    assert contact.field_values.get().value == "1"
    change = ContactChange.objects.filter(contact=contact).first()
    assert change.source == ContactChange.Source.IMPORTED and change.actor == alice
    assert change.changes == [{"field": "Name", "old": "Robert", "new": "Bob Stone"}]


def test_the_consent_column_records_consent_through_the_consent_service(admin):
    opted_out = Contact.objects.create(phone_e164="+12025550124")
    opted_out.sms_opted_out_at = opted_out.created_at
    opted_out.save()
    text = "phone,consent\n+1 202 555 0123,no\n+1 202 555 0124,yes\n+1 202 555 0125,yes\n"
    run(import_create(by=admin, file_name="x.csv", text=text))
    assert Contact.objects.get(phone_e164="+12025550123").sms_opted_out_at is not None
    assert Contact.objects.get(phone_e164="+12025550124").sms_opted_out_at is None
    records = ConsentRecord.objects.order_by("contact__phone_e164")
    assert [(r.contact.phone_e164, r.kind, r.source) for r in records] == [
        ("+12025550123", "opt_out", "imported"),
        ("+12025550124", "opt_in", "imported"),
    ]


def test_a_contact_renamed_and_opted_out_by_one_row_gets_both_and_its_history(admin):
    contact = Contact.objects.create(phone_e164="+12025550123", display_name="Robert")
    text = "phone,name,consent\n+1 202 555 0123,Bob Stone,no\n"
    done = run(import_create(by=admin, file_name="x.csv", text=text))
    assert (done.created_count, done.updated_count) == (0, 1)
    contact.refresh_from_db()
    assert contact.display_name == "Bob Stone" and contact.sms_opted_out_at is not None
    assert [(r.kind, r.source, r.actor) for r in contact.consents.all()] == [
        ("opt_out", "imported", admin)
    ]
    assert contact.changes.get().changes == [{"field": "Name", "old": "Robert", "new": "Bob Stone"}]
    # The same file again changes nothing and records nothing.
    again = run(import_create(by=admin, file_name="x.csv", text=text))
    assert (again.created_count, again.updated_count) == (0, 0)
    assert contact.consents.count() == 1 and contact.changes.count() == 1


def test_numbers_without_a_country_code_are_read_in_the_organisation_region(alice):
    text = "phone\n07911 123456\n"
    contacts_import = import_create(by=alice, file_name="x.csv", text=text)
    import_start(contact_import=contacts_import, mapping={"0": "phone"})
    contacts_import_run(import_id=contacts_import.pk, region="GB")
    assert Contact.objects.filter(phone_e164="+447911123456").exists()


def test_a_mapping_without_a_phone_column_is_refused(client, alice):
    client.force_login(alice)
    upload(client, DEMO)
    contact_import = ContactImport.objects.get()
    url = reverse("inbox:import_run", args=[contact_import.public_id])
    response = client.post(url, {"col_0": "name", "col_1": ""})
    assert response.status_code == 422
    assert "Choose the column that holds the phone number" in response.content.decode()


def test_a_file_that_is_not_a_csv_gets_a_clear_error(client, alice):
    client.force_login(alice)
    response = upload(client, "")
    assert response.status_code == 422 and "The file is empty" in response.content.decode()
    response = client.post(reverse("inbox:contacts_import"), {})
    assert response.status_code == 422 and "Choose a CSV file" in response.content.decode()


def test_the_progress_and_the_error_report_are_the_uploaders_own(client, alice, bob, admin):
    contact_import = run(import_create(by=alice, file_name="demo.csv", text=DEMO))
    progress = reverse("inbox:contact_import", args=[contact_import.public_id])
    errors = reverse("inbox:import_errors", args=[contact_import.public_id])
    client.force_login(alice)
    html = client.get(progress, headers={"HX-Request": "true"}).content.decode()
    assert 'value="100"' in html and "3 rows left out" in html and "hx-trigger" not in html
    report = client.get(errors)
    assert report["Content-Type"].startswith("text/csv")
    assert report.content.startswith(b"\xef\xbb\xbfrow,reason")
    client.force_login(bob)
    assert client.get(progress).status_code == 404
    assert client.get(errors).status_code == 404
    client.force_login(admin)
    assert client.get(errors).status_code == 200
    client.logout()
    assert client.get(progress).status_code == 302


def test_a_running_import_polls_for_its_progress(client, alice, tasks):
    contact_import = import_create(by=alice, file_name="demo.csv", text=DEMO)
    import_start(contact_import=contact_import, mapping=contact_import.mapping)
    client.force_login(alice)
    url = reverse("inbox:contact_import", args=[contact_import.public_id])
    html = client.get(url).content.decode()
    assert '<progress id="import-bar" max="100" value="0">' in html
    assert 'hx-trigger="every 1s"' in html


def test_the_error_report_cannot_run_formulas(alice):
    text = 'phone,name\n12,=HYPERLINK("http://x")\n'
    contact_import = run(import_create(by=alice, file_name="x.csv", text=text))
    row = list(csv.reader(io.StringIO(contact_import.errors_csv)))[1]
    assert row[3] == '\'=HYPERLINK("http://x")'


def test_a_file_larger_than_a_chunk_is_imported_whole(alice, django_assert_max_num_queries):
    rows = CHUNK + 500
    lines = ["phone,name"] + [f"+1202555{1000 + i:04d},Person {i}" for i in range(rows)]
    contact_import = import_create(by=alice, file_name="big.csv", text="\n".join(lines))
    import_start(contact_import=contact_import, mapping=contact_import.mapping)
    # Bulk writes: a handful of statements per chunk (SQLite binds at most 999 values in
    # one), not one per row; among them one COPY of the chunk's contacts into the list.
    most = 33 if connection.vendor == "postgresql" else rows // 25
    with django_assert_max_num_queries(most):
        done = contacts_import_run(import_id=contact_import.pk)
    assert Contact.objects.count() == rows
    assert (done.created_count, done.processed_rows) == (rows, rows)


def test_the_whatsapp_column_is_normalised_and_a_bad_one_refuses_the_row(alice):
    text = "phone,whatsapp\n+1 202 555 0123,+1 (202) 555-0199\n+1 202 555 0124,nope\n"
    contact_import = run(import_create(by=alice, file_name="x.csv", text=text))
    assert Contact.objects.get(phone_e164="+12025550123").whatsapp_id == "+12025550199"
    assert "invalid WhatsApp number “nope”" in contact_import.errors_csv
    assert not Contact.objects.filter(phone_e164="+12025550124").exists()


class Killed(BaseException):
    """A worker stopped mid-import (SIGKILL): nothing of the run gets to mark it failed."""


def killed_at_the_second_chunk(contact_import, monkeypatch, *, chunk: int) -> None:
    """Run ``contact_import`` in chunks of ``chunk`` rows with the worker killed as it
    writes the second one; the next run writes as usual."""
    from inbox.services import contact_import as service

    import_start(contact_import=contact_import, mapping=contact_import.mapping)
    write_chunk, chunks = service._write_chunk, []

    def stopped_at_the_second_chunk(rows, **kwargs):
        chunks.append(rows)
        if len(chunks) == 2:
            raise Killed
        return write_chunk(rows, **kwargs)

    monkeypatch.setattr(service, "CHUNK", chunk)
    monkeypatch.setattr(service, "_write_chunk", stopped_at_the_second_chunk)
    with pytest.raises(Killed):
        contacts_import_run(import_id=contact_import.pk)
    monkeypatch.setattr(service, "_write_chunk", write_chunk)


def delivered_again_once_stale(contact_import) -> ContactImport:
    """The lost import's task, queued again by the sweep once no chunk was written for
    ``IMPORT_STALE_SECONDS``, and run."""
    later = timezone.now() + timedelta(seconds=settings.IMPORT_STALE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert requeue_lost_contact_imports() == 1
        return contacts_import_run(import_id=contact_import.pk)


def test_a_rerun_after_the_worker_was_stopped_carries_on_without_losing_or_repeating_rows(
    admin, monkeypatch
):
    contact_import = import_create(by=admin, file_name="demo.csv", text=DEMO)
    killed_at_the_second_chunk(contact_import, monkeypatch, chunk=3)
    contact_import.refresh_from_db()
    assert contact_import.state == ContactImport.State.RUNNING
    assert (contact_import.processed_rows, contact_import.created_count) == (3, 2)

    # The task, delivered again at once, leaves it to the worker that may still write it;
    # once no chunk was written for a while, the next delivery carries on.
    assert contacts_import_run(import_id=contact_import.pk).processed_rows == 3
    assert requeue_lost_contact_imports() == 0
    done = delivered_again_once_stale(contact_import)
    assert done.state == ContactImport.State.DONE
    assert (done.processed_rows, done.created_count, done.error_count) == (6, 2, 4)
    assert Contact.objects.count() == 2
    assert ContactChange.objects.count() == 2  # one "imported" entry per contact
    assert ConsentRecord.objects.count() == 1  # Bob's opt-out, once
    reasons = [row[:2] for row in csv.reader(io.StringIO(done.errors_csv))][1:]
    assert [int(number) for number, _ in reasons] == [4, 5, 6, 7]
    assert reasons[1][1] == "same number as row 3"  # a row of the chunk written before


# A merged contact's second number (F-CT4) reaches that contact.
MARIA, MARIA_WORK, MARIA_OLD = "+12025550123", "+12025550177", "+12025550188"


@pytest.fixture
def maria(admin, alice, alice_line, bob_line):
    """Maria, written to from her main number on Alice's line and from her work number on
    Bob's, merged into one contact with two second numbers."""
    maria = receive(alice_line, MARIA).conversation.contact
    contact_update(contact=maria, by=alice, display_name="Maria", custom_fields={"tier": "1"})
    for number in (MARIA_WORK, MARIA_OLD):
        other = receive(bob_line, number).conversation.contact
        contacts_merge(kept=maria, merged=other, by=admin)
    return Contact.objects.get(pk=maria.pk)


def numbers(contact: Contact) -> tuple[str, list[str]]:
    contact.refresh_from_db()
    return contact.phone_e164, sorted(Contact.objects.get(pk=contact.pk).other_numbers)


def test_a_row_with_a_second_number_updates_the_contact_it_belongs_to(alice, maria):
    text = f"phone,name,email,tier\n{MARIA_WORK},Maria Garcia,,2\n+12025550999,New,,\n"
    done = run(import_create(by=alice, file_name="crm.csv", text=text))

    assert (done.created_count, done.updated_count, done.error_count) == (1, 1, 0)
    assert numbers(maria) == (MARIA, [MARIA_WORK, MARIA_OLD])
    assert maria.display_name == "Maria Garcia" and maria.email == ""
    assert maria.field_values.get().value == "2"
    assert maria.changes.first().changes == [
        {"field": "Name", "old": "Maria", "new": "Maria Garcia"},
        {"field": "tier", "old": "1", "new": "2"},
    ]
    assert Contact.objects.count() == 2  # Maria and the new number: no duplicate of her


def test_an_opt_out_on_a_second_number_reaches_the_contact_and_sends_are_refused(admin, maria):
    done = run(
        import_create(by=admin, file_name="crm.csv", text=f"phone,consent\n{MARIA_OLD},no\n")
    )

    assert (done.created_count, done.error_count) == (0, 0)
    maria.refresh_from_db()
    assert maria.sms_opted_out_at is not None
    assert [(r.kind, r.source) for r in maria.consents.filter(source="imported")] == [
        ("opt_out", "imported")
    ]
    threads = maria.conversations.select_related("sender_id__owner")
    assert sorted(t.customer_address for t in threads) == [MARIA, MARIA_WORK, MARIA_OLD]
    for thread in threads:
        with pytest.raises(SendRefused, match="opted out"):
            message_send(conversation=thread, author=thread.sender_id.owner, body="Hello")
    assert not Message.objects.filter(direction=MessageDirection.OUTBOUND).exists()


@pytest.mark.parametrize(
    ("phones", "reasons"),
    [
        (
            [MARIA, MARIA_WORK],
            {3: "same contact as row 2, by another of its numbers"},
        ),
        (
            [MARIA_WORK, MARIA, MARIA_OLD, MARIA_WORK],
            {
                3: "same contact as row 2, by another of its numbers",
                4: "same contact as row 2, by another of its numbers",
                5: "same number as row 2",
            },
        ),
    ],
)
def test_a_contact_reached_again_by_another_of_its_numbers_is_left_out(
    alice, maria, phones, reasons
):
    text = "phone,name\n" + "".join(f"{p},Name {i}\n" for i, p in enumerate(phones, start=2))
    done = run(import_create(by=alice, file_name="crm.csv", text=text))

    errors = list(csv.reader(io.StringIO(done.errors_csv)))[1:]
    assert {int(row[0]): row[1] for row in errors} == reasons
    assert (done.updated_count, done.error_count) == (1, len(reasons))
    assert numbers(maria) == (MARIA, [MARIA_WORK, MARIA_OLD])
    assert maria.display_name == "Name 2"
    assert Contact.objects.count() == 1


def test_a_rerun_reads_the_second_numbers_of_the_chunks_written_before(admin, maria, monkeypatch):
    text = f"phone,name,consent\n{MARIA_WORK},Maria Garcia,no\n+12025550999,,\n{MARIA},M. G.,yes\n"
    contact_import = import_create(by=admin, file_name="crm.csv", text=text)
    killed_at_the_second_chunk(contact_import, monkeypatch, chunk=2)

    done = delivered_again_once_stale(contact_import)
    assert (done.created_count, done.updated_count, done.error_count) == (1, 1, 1)
    assert list(csv.reader(io.StringIO(done.errors_csv)))[1][:2] == [
        "4",
        "same contact as row 2, by another of its numbers",
    ]
    maria.refresh_from_db()
    assert maria.display_name == "Maria Garcia"
    assert maria.sms_opted_out_at is not None  # row 4's opt-in never reached her
    assert maria.consents.filter(source="imported").count() == 1


def test_the_import_page_reports_the_contact_updated_by_its_second_number(
    client, alice, maria, tasks, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    upload(client, f"phone,name\n{MARIA_WORK},Maria Garcia\n{MARIA},Maria G.\n")
    contact_import = ContactImport.objects.get()
    data = {f"col_{i}": target for i, target in contact_import.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inbox:import_run", args=[contact_import.public_id]), data)
    assert tasks.run_named("inbox.tasks.import_contacts") == 1

    progress = reverse("inbox:contact_import", args=[contact_import.public_id])
    html = client.get(progress).content.decode()
    assert "0 contacts created, 1 updated, 1 row left out." in html
    report = client.get(reverse("inbox:import_errors", args=[contact_import.public_id]))
    assert '3,"same contact as row 2, by another of its numbers"' in report.content.decode()
    page = client.get(reverse("inbox:contact_detail", args=[maria.public_id])).content.decode()
    assert "Maria Garcia" in page and "Other numbers" in page
    assert "+1 202-555-0177" in page and "+1 202-555-0188" in page


# Reading the file (issue 22): encodings, limits and damaged files get a clear answer.


def upload_bytes(client, data: bytes, name: str = "contacts.csv"):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("inbox:contacts_import"), {"file": file})


def run_uploaded(client) -> ContactImport:
    contact_import = ContactImport.objects.get()
    import_start(contact_import=contact_import, mapping=contact_import.mapping)
    return contacts_import_run(import_id=contact_import.pk)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_stray_windows_byte_in_a_utf8_file_is_reported_and_the_other_rows_kept_as_written(
    client, alice, bom
):
    client.force_login(alice)
    data = (
        bom
        + "name,phone\nZoë Adams,+12025550101\n".encode()
        + b"Zo\xeb Baker,+12025550102\n"
        + "Zoë Clark,+12025550103\n".encode()
    )
    response = upload_bytes(client, data)
    page = client.get(response.url).content.decode()
    assert "1 row will be left out" in page and "row 3 (not valid UTF-8" in page
    assert "is not UTF-8" not in page
    assert "Import 2 rows" in page  # the button counts only the rows that will be imported

    done = run_uploaded(client)
    names = sorted(Contact.objects.values_list("display_name", flat=True))
    assert names == ["Zoë Adams", "Zoë Clark"]
    assert done.error_count == 1
    row = list(csv.reader(io.StringIO(done.errors_csv)))[1]
    assert row[0] == "3" and row[1].startswith("not valid UTF-8")
    assert row[2:] == ["Zoë Baker", "+12025550102"]  # kept, read as Windows-1252


def test_a_file_wholly_in_windows_1252_is_read_as_such_and_the_preview_says_so(client, alice):
    client.force_login(alice)
    response = upload_bytes(client, "name,phone\nZoë Adams,+12025550101\n".encode("cp1252"))
    page = client.get(response.url).content.decode()
    assert "This file is not UTF-8: it was read as Windows-1252" in page
    assert "Zoë Adams" in page
    run_uploaded(client)
    assert Contact.objects.get().display_name == "Zoë Adams"


def test_a_file_of_too_many_columns_is_refused_before_any_preview(client, alice):
    client.force_login(alice)
    response = upload(client, ",".join(f"c{i}" for i in range(100_000)) + "\n1,2\n")
    assert response.status_code == 422
    assert "names 100,000 columns: an import reads at most 50" in response.content.decode()
    assert not ContactImport.objects.exists()


def test_a_header_cell_too_long_to_be_a_column_name_is_refused(client, alice):
    client.force_login(alice)
    response = upload(client, "phone," + "x" * 5000 + "\n+12025550101,1\n")
    assert response.status_code == 422
    assert "The name of column 2 is 5,000 characters long" in response.content.decode()


def test_a_file_over_the_row_limit_is_refused_with_the_limit(client, alice, monkeypatch):
    from inbox.services import contact_import as service

    monkeypatch.setattr(service, "MAX_ROWS", 10)
    client.force_login(alice)
    response = upload(client, "phone\n" + "".join(f"+1202555{i:04d}\n" for i in range(11)))
    assert response.status_code == 422
    assert "more than 10 rows: import at most 10 at a time" in response.content.decode()
    assert upload(client, "phone\n" + "".join(f"+1202555{i:04d}\n" for i in range(10))).url


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "it looks like an Excel"),
        (bytes(range(256)) * 40, "it looks like a binary file"),
        (b'phone,note\n+12025550101,"' + b"x" * 200_000 + b"\n", "Row 2 cannot be read"),
        (b"phone,name\n", "no rows to import, only the header"),
    ],
    ids=["xlsx", "binary", "huge-cell", "header-only"],
)
def test_a_file_that_cannot_be_imported_gets_a_clear_message_not_an_error(
    client, alice, data, message
):
    client.force_login(alice)
    response = upload_bytes(client, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ContactImport.objects.exists()


def test_a_file_with_bare_carriage_returns_is_read_row_by_row(client, alice):
    client.force_login(alice)
    upload_bytes(client, b"name,phone\rAnn,+12025550101\rBob,+12025550102\r")
    done = run_uploaded(client)
    assert (done.created_count, done.error_count) == (2, 0)
    assert sorted(Contact.objects.values_list("display_name", flat=True)) == ["Ann", "Bob"]


def test_a_nul_character_is_removed_and_its_row_reported(client, alice):
    client.force_login(alice)
    upload_bytes(client, b"name,phone\nAnn,+12025550101\nB\x00ob,+12025550102\n")
    contact_import = ContactImport.objects.get()
    assert "\x00" not in contact_import.source
    page = client.get(reverse("inbox:contact_import", args=[contact_import.public_id]))
    assert "row 3 (held a NUL character" in page.content.decode()
    done = run_uploaded(client)
    assert (done.created_count, done.error_count) == (1, 1)
    assert list(csv.reader(io.StringIO(done.errors_csv)))[1][2:] == ["Bob", "+12025550102"]


def test_a_cell_beyond_the_header_refuses_its_row_with_the_reason(alice):
    text = "phone,name\n+12025550101,Ann,\n+12025550102,Smith, Bob\n"
    done = run(import_create(by=alice, file_name="x.csv", text=text))
    assert (done.created_count, done.error_count) == (1, 1)  # a trailing empty cell is fine
    row = list(csv.reader(io.StringIO(done.errors_csv)))[1]
    assert row[:2] == [
        "3",
        "3 filled cells where the header names 2 columns (a separator "
        "inside a cell that is not quoted?)",
    ]
    assert row[2:] == ["+12025550102", "Smith", " Bob"]


def test_the_preview_shows_a_row_only_as_far_as_the_header_goes(client, alice):
    client.force_login(alice)
    response = upload(client, "phone,name\n+12025550101,Ann" + ",x" * 100_000 + "\n")
    page = client.get(response.url).content.decode()
    assert "<td>Ann</td>" in page and "<td>x</td>" not in page


def test_a_file_over_the_attachment_limit_is_taken_up_to_the_import_limit(client, alice):
    client.force_login(alice)
    note = "x" * 1000
    text = "phone,note\n" + "".join(f"+1202555{i:04d},{note}\n" for i in range(6000))
    assert len(text) > 5 * 1024 * 1024
    response = upload(client, text)
    assert response.status_code == 302
    assert ContactImport.objects.get().total_rows == 6000


def test_a_file_over_the_import_limit_is_refused_with_the_import_limit(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:contacts_import"), {}, CONTENT_LENGTH=str(30 * 1024 * 1024)
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "A contacts import takes a CSV file of 20 MB at most" in html
    assert "Attachments" not in html


# Consent (issue 22): an admin's import only, and never undoing a customer's own STOP.


def test_an_agents_import_ignores_the_consent_column_and_the_preview_says_so(
    client, alice, tasks, django_capture_on_commit_callbacks
):
    opted_out = Contact.objects.create(phone_e164="+12025550124")
    contact_consent_change(contact=opted_out, conversation=None, opted_out=True, source="entered")
    client.force_login(alice)
    upload(client, "phone,sms_consent\n+1 202 555 0124,yes\n+1 202 555 0125,no\n")
    contact_import = ContactImport.objects.get()
    url = reverse("inbox:contact_import", args=[contact_import.public_id])
    page = client.get(url).content.decode()
    assert "Only an admin's import changes SMS consent: the column\n" in page
    assert "“sms_consent” will be ignored" in page
    assert '<option value="consent"' not in page
    # Choosing it anyway (a form made by hand) changes nothing either.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("inbox:import_run", args=[contact_import.public_id]),
            {"col_0": "phone", "col_1": "consent"},
        )
    tasks.run_named("inbox.tasks.import_contacts")
    contact_import.refresh_from_db()
    assert contact_import.consent_count == 0 and contact_import.mapping["1"] == ""
    opted_out.refresh_from_db()
    assert opted_out.sms_opted_out_at is not None
    assert Contact.objects.get(phone_e164="+12025550125").sms_opted_out_at is None
    assert ConsentRecord.objects.filter(source="imported").count() == 0


def test_an_admins_import_does_not_undo_a_customers_own_stop_and_says_so(client, admin):
    stopped = Contact.objects.create(phone_e164="+12025550124", display_name="Stopped")
    contact_consent_change(contact=stopped, conversation=None, opted_out=True, source="keyword")
    entered = Contact.objects.create(phone_e164="+12025550126")
    contact_consent_change(contact=entered, conversation=None, opted_out=True, source="entered")
    text = (
        "phone,name,consent\n+1 202 555 0124,Stopped Again,yes\n+1 202 555 0125,,no\n"
        "+1 202 555 0126,,yes\n"
    )
    done = run(import_create(by=admin, file_name="x.csv", text=text))

    stopped.refresh_from_db()
    assert stopped.sms_opted_out_at is not None  # their STOP holds
    assert stopped.display_name == "Stopped Again"  # the rest of the row is imported
    entered.refresh_from_db()
    assert entered.sms_opted_out_at is None
    assert (done.consent_count, done.consent_kept_count, done.error_count) == (2, 1, 0)
    rows = list(csv.reader(io.StringIO(done.errors_csv)))[1:]
    assert [r[:2] for r in rows] == [
        [
            "2",
            "imported, but not re-subscribed: the customer opted out themselves (STOP); "
            "only they can opt back in",
        ]
    ]
    client.force_login(admin)
    html = client.get(reverse("inbox:contact_import", args=[done.public_id])).content.decode()
    assert "SMS consent changed for 2 contacts." in html
    assert "1 customer who opted out themselves (STOP) was not re-subscribed" in html
    assert "and the 1 not re-subscribed, with the reasons" in html


def test_a_rerun_lists_again_the_customers_a_stopped_run_did_not_re_subscribe(admin, monkeypatch):
    stopped = Contact.objects.create(phone_e164="+12025550124")
    contact_consent_change(contact=stopped, conversation=None, opted_out=True, source="keyword")
    text = "phone,consent\n+1 202 555 0124,yes\n+1 202 555 0125,no\n"
    contact_import = import_create(by=admin, file_name="x.csv", text=text)
    killed_at_the_second_chunk(contact_import, monkeypatch, chunk=1)

    done = delivered_again_once_stale(contact_import)
    assert (done.consent_count, done.consent_kept_count) == (1, 1)
    rows = list(csv.reader(io.StringIO(done.errors_csv)))[1:]
    assert [r[:2] for r in rows] == [["2", CUSTOMER_STOP_KEPT]]
    stopped.refresh_from_db()
    assert stopped.sms_opted_out_at is not None


def test_imported_addresses_become_the_contacts_identities(alice):
    text = "phone,name,whatsapp,email\n+12025550140,James,+12025550141,James@Example.com\n"
    run(import_create(by=alice, file_name="crm.csv", text=text))

    james = Contact.objects.get(phone_e164="+12025550140")
    assert set(james.identities.values_list("kind", "address")) == {
        ("phone", "+12025550140"),
        ("whatsapp", "+12025550141"),
        ("email", "james@example.com"),
    }

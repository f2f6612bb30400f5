"""Contacts export (F-CT3, issue 22): every field, custom fields too, so that importing an
export changes nothing; and every export is recorded for admins to see."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inbox.models import (
    ConsentRecord,
    Contact,
    ContactChange,
    ContactExport,
    ContactImport,
    CustomField,
)
from inbox.services.consent import contact_consent_change
from inbox.services.contact_import import contacts_import_run, import_start
from inbox.services.contacts import contact_update


@pytest.fixture
def contacts(alice):
    maria = Contact.objects.create(
        phone_e164="+12025550123", display_name="Maria Garcia", whatsapp_id="+12025550199"
    )
    contact_update(
        contact=maria,
        by=alice,
        email="maria@example.com",
        labels=["VIP", "Smith, Inc"],
        custom_fields={"Order ID": "-5", "Tier": "gold", "Mobile": "+1 202 555 0100"},
    )
    formula = Contact.objects.create(phone_e164="+12025550125", display_name="=HYPERLINK(1)")
    contact_update(contact=formula, by=alice, labels=["Acme, Ltd"])
    stopped = Contact.objects.create(phone_e164="+447911123456", display_name="Zoë Stone")
    contact_consent_change(contact=stopped, conversation=None, opted_out=True, source="keyword")
    return [maria, formula, stopped]


def export(client, **params) -> bytes:
    response = client.get(reverse("inbox:contacts_export"), params)
    return b"".join(response.streaming_content)


def test_the_export_holds_every_field_custom_fields_too(client, alice, contacts):
    client.force_login(alice)
    text = export(client).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == (
        "name,phone,whatsapp,email,labels,sms_consent,contact_id,field:mobile,order_id,tier"
    )
    maria = contacts[0]
    assert (
        f'Maria Garcia,+12025550123,+12025550199,maria@example.com,"Smith, Inc; VIP",,'
        f"{maria.public_id},'+1 202 555 0100,'-5,gold"
    ) in lines
    assert f'\'=HYPERLINK(1),+12025550125,,,"Acme, Ltd;",,{contacts[1].public_id},,,' in lines


@pytest.mark.parametrize("importer", ["admin", "alice"])
def test_importing_an_export_updates_the_same_contacts_and_changes_nothing(
    client, alice, admin, contacts, importer
):
    client.force_login(alice)
    data = export(client)
    fields = set(CustomField.objects.values_list("name", flat=True))
    changes, consents = ContactChange.objects.count(), ConsentRecord.objects.count()
    before = {
        c.phone_e164: (c.display_name, c.email, c.whatsapp_id, c.sms_opted_out_at)
        for c in Contact.objects.all()
    }

    client.force_login(admin if importer == "admin" else alice)
    upload = client.post(
        reverse("inbox:contacts_import"),
        {"file": SimpleUploadedFile("contacts.csv", data)},
    )
    assert upload.status_code == 302
    contact_import = ContactImport.objects.get()
    import_start(contact_import=contact_import, mapping=contact_import.mapping)
    done = contacts_import_run(import_id=contact_import.pk)

    assert (done.created_count, done.updated_count, done.error_count) == (0, 0, 0)
    assert (done.consent_count, done.consent_kept_count) == (0, 0)
    assert set(CustomField.objects.values_list("name", flat=True)) == fields
    assert ContactChange.objects.count() == changes
    assert ConsentRecord.objects.count() == consents
    after = {
        c.phone_e164: (c.display_name, c.email, c.whatsapp_id, c.sms_opted_out_at)
        for c in Contact.objects.all()
    }
    assert after == before
    assert sorted(contacts[0].labels.values_list("name", flat=True)) == ["Smith, Inc", "VIP"]
    assert list(contacts[1].labels.values_list("name", flat=True)) == ["Acme, Ltd"]
    assert {v.field.name: v.value for v in contacts[0].field_values.all()} == {
        "order_id": "-5",
        "tier": "gold",
        "mobile": "+1 202 555 0100",
    }


def test_each_export_is_recorded_with_who_when_and_how_many(client, alice, contacts):
    client.force_login(alice)
    export(client, label="VIP")
    record = ContactExport.objects.get()
    assert record.exported_by == alice and record.at is not None
    assert (record.filters, record.row_count) == ("label=VIP", 1)


def test_admins_see_the_exports_and_no_one_can_edit_them(client, alice, admin, contacts):
    client.force_login(alice)
    export(client)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    page = client.get(reverse("admin:inbox_contactexport_changelist")).content.decode()
    assert "Alice" in page
    record = ContactExport.objects.get()
    assert client.get(reverse("admin:inbox_contactexport_add")).status_code == 403
    assert (
        client.post(reverse("admin:inbox_contactexport_delete", args=[record.pk])).status_code
        == 403
    )
    assert ContactExport.objects.count() == 1


def test_the_export_queries_do_not_grow_with_the_contacts(
    client, alice, contacts, django_assert_num_queries
):
    client.force_login(alice)
    # Session, user, the custom fields, the record, the contacts, their labels and field
    # values, the row count.
    with django_assert_num_queries(8):
        export(client)
    for i in range(5):
        contact = Contact.objects.create(phone_e164=f"+1202555100{i}", display_name=f"P{i}")
        contact_update(contact=contact, by=alice, labels=["VIP"], custom_fields={"Tier": "x"})
    with django_assert_num_queries(8):
        export(client)


def test_deleting_who_exported_keeps_the_record_of_their_export(client, alice, admin, contacts):
    """The record says who took every contact's details: deleting their account in Django
    admin (also by its bulk action) is refused while it is kept; deactivate them instead."""
    client.force_login(alice)
    export(client)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    client.post(reverse("admin:inbox_user_delete", args=[alice.pk]), {"post": "yes"})
    client.post(
        reverse("admin:inbox_user_changelist"),
        {"action": "delete_selected", "_selected_action": [alice.pk], "post": "yes"},
    )
    assert ContactExport.objects.get().exported_by == alice

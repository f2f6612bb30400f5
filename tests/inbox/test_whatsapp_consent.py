"""WhatsApp opt-in consent (F-CP2): recorded from the contact panel, imported, kept."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inbox.models import ConsentRecord, Contact, ConversationEvent

from ..conftest import receive


@pytest.fixture
def conversation(wa_line):
    return receive(wa_line, "+12025550123", "Hi").conversation


def test_the_contact_panel_shows_that_no_opt_in_is_recorded(client, conversation, alice):
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id])).content
    assert b"No opt-in recorded: templates cannot be sent." in page
    assert b"Record opt-in" in page


def test_an_agent_records_opt_in_with_its_source_in_the_history_and_the_thread(
    client, conversation, alice
):
    client.force_login(alice)
    url = reverse("inbox:consent", args=[conversation.public_id])
    response = client.post(
        url,
        {"granted": "1", "source": "web_form", "detail": "Signed up on the site"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Opted in " in html
    assert "Opted in · Web form · Alice" in html
    assert "WhatsApp consent: opt-in recorded (web form): Signed up on the site · Alice" in html
    record = ConsentRecord.objects.get()
    assert (record.channel, record.kind, record.source, record.actor) == (
        "whatsapp",
        "opt_in",
        "web_form",
        alice,
    )
    assert ConversationEvent.objects.filter(conversation=conversation, kind="consent").exists()


def test_withdrawing_opt_in_is_kept_too(client, conversation, alice):
    client.force_login(alice)
    url = reverse("inbox:consent", args=[conversation.public_id])
    client.post(url, {"granted": "1", "source": "verbal"})
    client.post(url, {"granted": "0", "source": "entered"})
    conversation.contact.refresh_from_db()
    assert conversation.contact.whatsapp_consent_at is None
    assert list(ConsentRecord.objects.order_by("at").values_list("kind", flat=True)) == [
        "opt_in",
        "opt_out",
    ]


def test_a_bad_source_is_a_clear_error_and_changes_nothing(client, conversation, alice):
    client.force_login(alice)
    url = reverse("inbox:consent", args=[conversation.public_id])
    response = client.post(url, {"granted": "1", "source": "bribe"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert b"Choose how the customer agreed." in response.content
    assert not ConsentRecord.objects.exists()


def test_consent_is_404_for_another_agent_and_login_for_anonymous(client, conversation, carol):
    url = reverse("inbox:consent", args=[conversation.public_id])
    data = {"granted": "1", "source": "verbal"}
    assert "/accounts/login/" in client.post(url, data)["Location"]
    client.force_login(carol)
    assert client.post(url, data).status_code == 404
    assert not ConsentRecord.objects.exists()


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("numbers.csv", text.encode(), content_type="text/csv")


def test_an_admin_imports_opt_ins_from_a_csv_and_bad_lines_are_reported(
    client, admin, conversation
):
    client.force_login(admin)
    text = "phone\n+1 202 555 0123\n+442079460000\nnot a number\n\n+1 202 555 0123\n"
    response = client.post(
        reverse("inbox:consent_import"), {"file": csv_file(text), "detail": "Newsletter form"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 recorded, 1 already opted in, 1 not imported." in html
    assert "Line 4: " in html
    assert Contact.objects.get(phone_e164="+442079460000").whatsapp_consent_at is not None
    record = ConsentRecord.objects.filter(contact=conversation.contact).get()
    assert (record.source, record.detail) == ("imported", "Newsletter form")
    assert ConversationEvent.objects.filter(conversation=conversation, kind="consent").exists()


def test_a_file_that_is_not_text_is_refused(client, admin):
    client.force_login(admin)
    upload = SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    response = client.post(reverse("inbox:consent_import"), {"file": upload})
    assert response.status_code == 422
    assert b"not UTF-8 text" in response.content


def test_the_import_is_for_admins_only(client, alice):
    url = reverse("inbox:consent_import")
    assert "/accounts/login/" in client.get(url)["Location"]
    client.force_login(alice)
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": csv_file("+12025550123\n")}).status_code == 404
    assert not ConsentRecord.objects.exists()


def test_the_import_page_costs_a_fixed_number_of_queries(client, admin, django_assert_num_queries):
    client.force_login(admin)
    with django_assert_num_queries(3):  # session, user, the top bar's unread count
        client.get(reverse("inbox:consent_import"))


def test_record_opt_in_is_not_offered_while_the_customer_is_opted_out(client, conversation, alice):
    receive(conversation.sender_id, "+12025550123", "STOP")
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id])).content
    html = page.decode()
    assert "Record opt-in" not in html
    assert "No opt-in can be recorded while they are opted out: they must text START" in html


def test_an_opt_in_posted_while_the_customer_is_opted_out_is_refused_with_the_reason(
    client, conversation, alice
):
    receive(conversation.sender_id, "+12025550123", "STOP")
    client.force_login(alice)
    response = client.post(
        reverse("inbox:consent", args=[conversation.public_id]),
        {"granted": "1", "source": "verbal"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "until they text START" in response.content.decode()
    conversation.contact.refresh_from_db()
    assert conversation.contact.whatsapp_consent_at is None
    assert not ConsentRecord.objects.filter(kind="opt_in").exists()


def test_the_import_skips_an_opted_out_number_and_says_why(client, admin, conversation):
    receive(conversation.sender_id, "+12025550123", "STOP")
    client.force_login(admin)
    response = client.post(
        reverse("inbox:consent_import"), {"file": csv_file("+12025550123\n+442079460000\n")}
    )
    html = response.content.decode()
    assert "1 recorded" in html
    assert "Line 1: +12025550123 opted out; an opt-in can be recorded once they text START." in html
    assert Contact.objects.get(phone_e164="+12025550123").whatsapp_consent_at is None


@pytest.fixture
def staff(client, admin):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return admin


def test_the_consent_history_is_read_only_in_django_admin(client, staff, conversation, alice):
    from inbox.services.whatsapp_consent import whatsapp_consent_set

    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    record = ConsentRecord.objects.get()
    listing = client.get(reverse("admin:inbox_consentrecord_changelist"))
    assert listing.status_code == 200 and "Verbal" in listing.content.decode()

    assert client.get(reverse("admin:inbox_consentrecord_add")).status_code == 403
    added = client.post(
        reverse("admin:inbox_consentrecord_add"),
        {"contact": conversation.contact.pk, "channel": "whatsapp", "kind": "opt_out"},
    )
    assert added.status_code == 403
    change_url = reverse("admin:inbox_consentrecord_change", args=[record.pk])
    page = client.get(change_url).content.decode()
    assert 'name="kind"' not in page and "Save" not in page  # a view, not a form
    client.post(change_url, {"contact": conversation.contact.pk, "kind": "opt_out"})
    delete_url = reverse("admin:inbox_consentrecord_delete", args=[record.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert list(ConsentRecord.objects.values_list("pk", "kind")) == [(record.pk, "opt_in")]


def test_consent_cannot_be_set_on_the_contact_in_django_admin(client, staff, conversation):
    contact = conversation.contact
    page = client.get(reverse("admin:inbox_contact_change", args=[contact.pk])).content.decode()
    assert 'name="whatsapp_consent_at' not in page and 'name="sms_opted_out_at' not in page


def test_a_consent_record_is_never_edited_or_deleted_in_code_either(conversation, alice):
    from inbox.services.whatsapp_consent import whatsapp_consent_set

    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    record = ConsentRecord.objects.get()
    record.kind = "opt_out"
    with pytest.raises(ValueError, match="never changed"):
        record.save()
    with pytest.raises(ValueError, match="never deleted"):
        record.delete()
    assert ConsentRecord.objects.get().kind == "opt_in"


def test_deleting_who_recorded_a_consent_keeps_the_history_whole(
    client, staff, conversation, alice
):
    from inbox.services.whatsapp_consent import whatsapp_consent_set

    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    client.post(reverse("admin:inbox_user_delete", args=[alice.pk]), {"post": "yes"})
    assert ConsentRecord.objects.get().actor == alice

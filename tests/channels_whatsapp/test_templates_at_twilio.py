"""WhatsApp templates through the Twilio SDK: Content API sync, and sends by content SID."""

import json

from django.urls import reverse

from inbox.models import MessageStatus, WhatsAppTemplate
from inbox.services.contact_merge import contacts_merge
from inbox.services.sending import message_dispatch
from inbox.services.whatsapp_consent import whatsapp_consent_set
from inbox.services.whatsapp_templates import whatsapp_template_send, whatsapp_templates_sync

from ..conftest import receive
from ..support.fake_twilio import content_entry

APPROVED = "HX" + "1" * 32
PENDING = "HX" + "2" * 32


def test_the_content_api_sync_keeps_a_local_copy_per_content_sid(db, fake_twilio):
    fake_twilio.contents = [
        content_entry(
            APPROVED, "order_update", "Hi {{1}}, order {{2}}", variables={"1": "Jane", "2": "9"}
        ),
        content_entry(PENDING, "spring_sale", "Sale!", status="received", category="MARKETING"),
    ]
    WhatsAppTemplate.objects.create(content_sid="HX" + "9" * 32, name="gone", body="Old")

    assert whatsapp_templates_sync() == 2

    approved = WhatsAppTemplate.objects.get(content_sid=APPROVED)
    assert (approved.name, approved.language, approved.body, approved.category) == (
        "order_update",
        "en",
        "Hi {{1}}, order {{2}}",
        "utility",
    )
    assert approved.default_values == {"1": "Jane", "2": "9"}
    assert approved.approval == "approved" and approved.last_synced_at is not None
    assert approved.variables == ["1", "2"]
    assert WhatsAppTemplate.objects.get(content_sid=PENDING).approval == "pending"
    assert not WhatsAppTemplate.objects.filter(name="gone").exists()
    listed = [r for r in fake_twilio.requests if r.path == "/v1/ContentAndApprovals"]
    assert len(listed) == 1 and listed[0].authorization.startswith("Basic ")


def test_a_resync_keeps_the_variables_mapped_to_contact_fields(db, fake_twilio):
    fake_twilio.contents = [content_entry(APPROVED, "order_update", "Hi {{1}}")]
    whatsapp_templates_sync()
    WhatsAppTemplate.objects.update(variable_fields={"1": "name"})
    fake_twilio.contents = [content_entry(APPROVED, "order_update", "Hello {{1}}")]
    whatsapp_templates_sync()
    template = WhatsAppTemplate.objects.get()
    assert (template.body, template.variable_fields) == ("Hello {{1}}", {"1": "name"})


def test_a_template_is_sent_with_content_sid_and_variables_and_no_body(
    fake_twilio, wa_line, alice, order_template, tasks
):
    conversation = receive(wa_line, "+12025550123", "Hi").conversation
    whatsapp_consent_set(contact=conversation.contact, granted=True, source="verbal", actor=alice)
    message = whatsapp_template_send(
        conversation=conversation,
        author=alice,
        template=order_template,
        values={"1": "Maria", "2": "A-17"},
    )
    assert message_dispatch(message_id=message.pk).sent
    create = fake_twilio.creates[-1]
    assert create.value("ContentSid") == order_template.content_sid
    assert json.loads(create.value("ContentVariables")) == {"1": "Maria", "2": "A-17"}
    assert "Body" not in create.form
    assert create.value("To") == "whatsapp:+12025550123"


def test_twilio_63016_fails_the_message_with_the_window_reason(fake_twilio, wa_line, alice, tasks):
    from inbox.services.sending import message_send

    conversation = receive(wa_line, "+12025550123", "Hi").conversation
    message = message_send(conversation=conversation, author=alice, body="Hello")
    fake_twilio.fail_next(400, 63016, "Outside the allowed window")
    message_dispatch(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error_code == "63016"
    assert "Send a registered template to reopen it" in message.error_reason


def test_an_admin_syncs_templates_with_one_click(client, admin, fake_twilio):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    fake_twilio.contents = [content_entry(APPROVED, "order_update", "Hi {{1}}")]
    client.force_login(admin)
    response = client.post(reverse("admin:inbox_whatsapptemplate_sync"), follow=True)
    assert b"Synced 1 templates from the provider." in response.content
    assert WhatsAppTemplate.objects.filter(content_sid=APPROVED).exists()


def test_a_failed_sync_is_reported_and_keeps_the_copy(client, admin, fake_twilio):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    WhatsAppTemplate.objects.create(content_sid=APPROVED, name="kept", body="Hi")
    fake_twilio.fail_next(401, 20003, "Authenticate")
    client.force_login(admin)
    response = client.post(reverse("admin:inbox_whatsapptemplate_sync"), follow=True)
    assert b"Sync failed" in response.content
    assert WhatsAppTemplate.objects.filter(name="kept").exists()


def test_a_template_in_a_merged_conversation_goes_to_that_conversations_number(
    fake_twilio, wa_line, admin, alice, order_template, tasks
):
    kept = receive(wa_line, "+12025550123", "Hi").conversation.contact
    work = receive(wa_line, "+12025550177", "Hi from work").conversation
    whatsapp_consent_set(contact=work.contact, granted=True, source="verbal", actor=alice)
    contacts_merge(kept=kept, merged=work.contact, by=admin)
    work.refresh_from_db()

    message = whatsapp_template_send(
        conversation=work, author=alice, template=order_template, values={"1": "M", "2": "1"}
    )

    assert message_dispatch(message_id=message.pk).sent
    assert fake_twilio.creates[-1].value("To") == "whatsapp:+12025550177"

"""The delivery log in the admin: readable by admins, never edited."""

from django.urls import reverse

from automation.models import WebhookDelivery


def test_an_admin_reads_the_delivery_log(client, admin, conversation):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    WebhookDelivery.objects.create(
        url="https://hooks.example.com/in", payload={}, source="Macro Escalate",
        conversation=conversation, state="failed", last_error="HTTP 500",
    )  # fmt: skip
    client.force_login(admin)
    page = client.get(reverse("admin:automation_webhookdelivery_changelist"))
    assert page.status_code == 200 and "Macro Escalate" in page.content.decode()
    assert client.get(reverse("admin:automation_webhookdelivery_add")).status_code == 403

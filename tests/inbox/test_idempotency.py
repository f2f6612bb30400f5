"""A double click or a resubmitted compose form sends once (F-OP2)."""

from django.urls import reverse

from inbox.models import Message, MessageDirection

from ..conftest import receive


def test_a_double_submitted_reply_sends_once(
    client, alice, alice_line, tasks, django_capture_on_commit_callbacks
):
    conversation = receive(alice_line, "+12025550123").conversation
    client.force_login(alice)
    form = {"body": "On its way", "idempotency_key": "3f1c0d9e-double-click"}
    url = reverse("inbox:send", args=[conversation.public_id])

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, form)
        second = client.post(url, form)

    assert first.status_code == second.status_code == 302
    assert Message.objects.filter(direction=MessageDirection.OUTBOUND).count() == 1
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_a_resubmitted_new_conversation_form_starts_one_send(
    client, alice, alice_line, tasks, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    form = {
        "sender": alice_line.pk,
        "phone": "+1 202 555 0123",
        "body": "Hello",
        "idempotency_key": "new-conversation-key",
    }

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inbox:conversation_new"), form)
        client.post(reverse("inbox:conversation_new"), form)

    assert Message.objects.count() == 1
    assert len(tasks.queued) == 1

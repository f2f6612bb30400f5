"""Attaching files from the compose box (F-CH1 media): checked, stored, sent with the message."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inbox.models import Attachment, Message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(client, conversation, body="", files=(), key="k-attach"):
    return client.post(
        reverse("inbox:send", args=[conversation.public_id]),
        {"body": body, "idempotency_key": key, "media": list(files)},
        headers={"HX-Request": "true"},
    )


def test_an_agent_attaches_a_file_and_it_goes_with_the_message(
    client, alice, conversation, tasks, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            conversation,
            "Here it is",
            [SimpleUploadedFile("invoice.png", PNG, "image/png")],
        )
    assert response.status_code == 200
    message = Message.objects.get(direction="out")
    attachment = Attachment.objects.get(message=message)
    assert (attachment.original_name, attachment.content_type) == ("invoice.png", "image/png")
    assert attachment.file.read() == PNG
    assert tasks.names == ["inbox.tasks.deliver_message"]
    assert "invoice.png" in response.content.decode()


def test_a_file_alone_without_words_is_a_valid_message(client, alice, conversation):
    client.force_login(alice)
    response = post(
        client, conversation, files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4", "application/pdf")]
    )
    assert response.status_code == 200
    assert Message.objects.filter(direction="out", body="").count() == 1


def test_an_empty_message_without_files_is_refused(client, alice, conversation):
    client.force_login(alice)
    response = post(client, conversation)
    assert response.status_code == 422
    assert "Write a message or attach a file" in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()


def test_a_file_type_carriers_do_not_carry_is_refused(client, alice, conversation):
    client.force_login(alice)
    bad = SimpleUploadedFile("setup.exe", b"MZ", "application/x-msdownload")
    response = post(client, conversation, "See attached", [bad])
    assert response.status_code == 422
    assert "setup.exe cannot be sent" in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()
    assert not Attachment.objects.exists()


def test_attachments_over_the_size_limit_are_refused(client, alice, conversation, settings):
    settings.OUTBOUND_MEDIA_MAX_BYTES = 1024 * 1024
    client.force_login(alice)
    big = SimpleUploadedFile("big.png", b"\x00" * (1024 * 1024 + 1), "image/png")
    response = post(client, conversation, "Big", [big])
    assert response.status_code == 422
    assert "1 MB at most" in response.content.decode()
    assert not Attachment.objects.exists()


def test_too_many_attachments_are_refused(client, alice, conversation, settings):
    settings.MESSAGE_MAX_MEDIA = 2
    client.force_login(alice)
    files = [SimpleUploadedFile(f"{n}.png", PNG, "image/png") for n in range(3)]
    response = post(client, conversation, "Many", files)
    assert response.status_code == 422
    assert "at most 2 files" in response.content.decode()

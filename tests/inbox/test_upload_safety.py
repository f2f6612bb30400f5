"""Attached files are typed from their content, limited to what Twilio delivers, refused by
size before they are read, and served to Twilio as downloads that cannot run script."""

from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_twilio.adapter import media_url
from inbox.models import Attachment, Message
from inbox.pure.media_types import media_type_sniff

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def send(client, conversation, upload):
    return client.post(
        reverse("inbox:send", args=[conversation.public_id]),
        {"body": "", "idempotency_key": "k-upload", "media": [upload]},
        headers={"HX-Request": "true"},
    )


@pytest.mark.parametrize(
    ("name", "declared"),
    [("drawing.svg", "image/svg+xml"), ("photo.jpg", "image/jpeg"), ("page.png", "image/png")],
)
def test_an_svg_is_refused_whatever_its_name_or_declared_type(
    client, alice, conversation, name, declared
):
    client.force_login(alice)
    response = send(client, conversation, SimpleUploadedFile(name, SVG, declared))
    assert response.status_code == 422
    assert f"{name} cannot be sent" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_stored_type_is_the_one_read_from_the_content(client, alice, conversation):
    client.force_login(alice)
    response = send(client, conversation, SimpleUploadedFile("scan", PNG, "text/html"))
    assert response.status_code == 200
    assert Attachment.objects.get().content_type == "image/png"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"\x00\x00\x00\x18ftyp3gp4", "video/3gpp"),
        (b"<html><script>", None),
        (b"<?xml version", None),
        (b"", None),
    ],
)
def test_types_are_read_from_the_first_bytes(head, expected):
    assert media_type_sniff(head) == expected


def test_a_body_declared_too_large_is_refused_before_it_is_read(client, alice, conversation):
    client.force_login(alice)
    # The test client's body is tiny: reading the declared 200 MB of it would fail loudly.
    response = client.post(
        reverse("inbox:send", args=[conversation.public_id]),
        {"body": "x", "idempotency_key": "k-big"},
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "5 MB at most" in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()


def test_the_link_given_to_twilio_is_a_sandboxed_download(client, alice, conversation):
    message = Message.objects.create(conversation=conversation, direction="out", body="")
    attachment = Attachment(message=message, content_type="image/svg+xml", original_name="x.svg")
    attachment.file.save("x.svg", SimpleUploadedFile("x.svg", SVG), save=False)
    attachment.save()

    response = client.get(urlsplit(media_url(attachment)).path)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"  # never image/svg+xml
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"

"""Files in the chat: a visitor attaches an image or a PDF (checked as the compose box's
uploads are), the agent sees it in the thread; an agent's attachment reaches the widget,
fetched with the visitor's token only."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inbox.models import (
    Attachment,
    Channel,
    Conversation,
    ConversationEvent,
    Message,
    MessageDirection,
    MessageStatus,
)

from .test_widget_api import call, new_visitor, write

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def attach(client, website, token, name, content, content_type="image/png", key="f1"):
    return client.post(
        f"/webchat/{website.key}/files",
        {"file": SimpleUploadedFile(name, content, content_type), "key": key},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def fetch(client, website, token, file_id):
    return call(client, website, token, f"files/{file_id}")


def reply_with_file(conversation, agent, name, content, content_type, status):
    message = Message.objects.create(
        conversation=conversation,
        direction=MessageDirection.OUTBOUND,
        author=agent,
        body="",
        status=status,
        channel=Channel.WEBCHAT,
    )
    attachment = Attachment(
        message=message, content_type=content_type, size=len(content), original_name=name
    )
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment


def test_a_visitors_image_is_in_the_agents_thread_like_any_attachment(client, website, alice):
    token = new_visitor(client, website)
    response = attach(client, website, token, "boots.png", PNG)
    assert response.status_code == 201
    [message] = response.json()["messages"]
    assert message["mine"] and message["body"] == ""
    assert [(f["name"], f["type"], f["image"]) for f in message["files"]] == [
        ("boots.png", "image/png", True)
    ]
    attachment = Attachment.objects.get()
    assert attachment.message.direction == MessageDirection.INBOUND
    assert (attachment.content_type, attachment.file.read()) == ("image/png", PNG)
    conversation = Conversation.objects.get()
    client.force_login(alice)
    thread = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    url = reverse("inbox:attachment", args=[conversation.public_id, attachment.public_id])
    assert url in thread.content.decode()
    assert client.get(url).getvalue() == PNG


def test_a_pdf_is_accepted_and_typed_words_are_a_message_of_their_own(client, website):
    token = new_visitor(client, website)
    write(client, website, token, "Here is the invoice")
    assert attach(client, website, token, "invoice.pdf", PDF, "application/pdf").status_code == 201
    assert Message.objects.count() == 2
    assert Attachment.objects.get().content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        # What the browser says is not what the file is.
        (
            "photo.png",
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            "cannot be sent",
        ),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "cannot be sent"),
        # A type the inbox takes, but not one the chat shows.
        ("song.png", b"ID3" + b"\x00" * 64, "attach an image (JPEG, PNG or GIF) or a PDF"),
    ],
)
def test_a_file_forged_or_not_shown_in_the_chat_is_refused(client, website, name, content, reason):
    token = new_visitor(client, website)
    response = attach(client, website, token, name, content)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_an_oversized_file_is_refused_with_the_limit(client, website, settings):
    settings.OUTBOUND_MEDIA_MAX_BYTES = 1024 * 1024
    token = new_visitor(client, website)
    response = attach(client, website, token, "big.png", PNG + b"\x00" * 1024 * 1024)
    assert response.status_code == 400
    assert response.json()["error"] == "Attachments may total 1 MB at most."
    # Far over it: refused before it is read.
    huge = attach(client, website, token, "huge.png", PNG + b"\x00" * settings.REQUEST_MAX_BYTES)
    assert huge.status_code == 413
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [{"key": "f1"}, {"file": "not a file", "key": "f1"}, {"key": "a/../b", "upload": True}],
)
def test_a_bad_upload_gets_its_reason(client, website, fields):
    token = new_visitor(client, website)
    if fields.pop("upload", False):
        fields["file"] = SimpleUploadedFile("a.png", PNG, "image/png")
    response = client.post(
        f"/webchat/{website.key}/files", fields, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_stranger_cannot_attach(client, website):
    assert attach(client, website, "not-a-token", "a.png", PNG).status_code == 401
    assert not Message.objects.exists()


def test_an_agents_file_reaches_only_its_visitor_by_their_token(client, website, alice):
    token = new_visitor(client, website)
    other = new_visitor(client, website)
    write(client, website, token, "Do you have the manual?")
    write(client, website, other, "Hi")
    conversation = Conversation.objects.get(messages__body="Do you have the manual?")
    manual = reply_with_file(
        conversation, alice, "manual.pdf", PDF, "application/pdf", MessageStatus.DELIVERED
    )
    photo = reply_with_file(conversation, alice, "boots.png", PNG, "image/png", MessageStatus.SENT)
    state = call(client, website, token, "state").json()
    shown = [(f["id"], f["name"], f["image"]) for m in state["messages"] for f in m["files"]]
    assert shown == [
        (manual.public_id, "manual.pdf", False),
        (photo.public_id, "boots.png", True),
    ]
    got = fetch(client, website, token, manual.public_id)
    assert got.status_code == 200
    assert got.getvalue() == PDF
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"].startswith("attachment")
    assert got["Cache-Control"] == "private, no-store"
    assert "sandbox" in got["Content-Security-Policy"]
    image = fetch(client, website, token, photo.public_id)
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
    # The other visitor, a stranger and anyone without a token get nothing.
    assert fetch(client, website, other, manual.public_id).status_code == 404
    assert all(m["files"] == [] for m in call(client, website, other, "state").json()["messages"])
    assert fetch(client, website, "not-a-token", manual.public_id).status_code == 401
    assert client.get(f"/webchat/{website.key}/files/{manual.public_id}").status_code == 401


def test_a_file_not_yet_sent_never_reaches_the_widget(client, website, alice):
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    conversation = Conversation.objects.get()
    queued = reply_with_file(
        conversation, alice, "draft.png", PNG, "image/png", MessageStatus.QUEUED
    )
    ConversationEvent.objects.create(
        conversation=conversation, kind=ConversationEvent.Kind.NOTE, actor=alice, body="Private"
    )
    assert fetch(client, website, token, queued.public_id).status_code == 404
    assert all(m["files"] == [] for m in call(client, website, token, "state").json()["messages"])


def test_files_count_against_the_visitors_message_rate(client, website, settings, one_rate_window):
    settings.WEBCHAT_RATE_WRITE = "2/m"
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    codes = [
        attach(client, website, token, "a.png", PNG, key=f"f{i}").status_code for i in range(2)
    ]
    assert codes == [201, 429]


def test_files_have_a_tighter_limit_per_visitor_and_per_address(
    client, website, settings, one_rate_window
):
    """Files are kept and each is a message in the inbox: a few an hour per visitor, and a
    few more per address however many visitors it starts."""
    settings.WEBCHAT_RATE_FILES_VISITOR = "2/h"
    settings.WEBCHAT_RATE_FILES_ADDRESS = "3/h"
    first, second, third = (new_visitor(client, website) for _ in range(3))
    codes = [attach(client, website, first, "a.png", PNG, key=f"a{i}") for i in range(3)]
    assert [c.status_code for c in codes] == [201, 201, 429]
    assert codes[2].json()["error"] == "You have sent too many files for now: try again later."
    # Their words still go: only files are held back.
    assert write(client, website, first, "Did they arrive?").status_code == 201
    codes = [attach(client, website, second, "b.png", PNG, key=f"b{i}") for i in range(2)]
    assert [c.status_code for c in codes] == [201, 429]
    assert codes[1].json()["error"] == "Too many files from your address: try again later."
    assert attach(client, website, third, "c.png", PNG).status_code == 429
    assert Attachment.objects.count() == 3
    # A visitor elsewhere is not held back by them.
    other = client.post(
        f"/webchat/{website.key}/files",
        {"file": SimpleUploadedFile("d.png", PNG, "image/png"), "key": "d1"},
        HTTP_AUTHORIZATION=f"Bearer {third}",
        REMOTE_ADDR="198.51.100.7",
    )
    assert other.status_code == 201


def test_several_parts_named_file_are_refused(client, website):
    """Counting field names would take them as one file and keep the last."""
    token = new_visitor(client, website)
    response = client.post(
        f"/webchat/{website.key}/files",
        {
            "file": [
                SimpleUploadedFile("a.png", PNG, "image/png"),
                SimpleUploadedFile("b.png", PNG, "image/png"),
            ],
            "key": "f1",
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Attach exactly one file at a time."
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_a_file_gone_from_storage_is_not_found_rather_than_an_error(client, website, alice):
    token = new_visitor(client, website)
    write(client, website, token, "The manual, please")
    conversation = Conversation.objects.get()
    manual = reply_with_file(
        conversation, alice, "manual.pdf", PDF, "application/pdf", MessageStatus.SENT
    )
    manual.file.storage.delete(manual.file.name)
    response = fetch(client, website, token, manual.public_id)
    assert response.status_code == 404
    assert response.json()["error"] == "No such file in your chat."

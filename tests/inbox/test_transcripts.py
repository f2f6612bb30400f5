"""Transcript exports (F-CV11): PDF and TXT for admins and owners, media as placeholders."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from inbox.models import Attachment, ConversationEvent
from inbox.services.transcripts import transcript_html

from ..conftest import receive


@pytest.fixture
def thread(alice, alice_line):
    message = receive(alice_line, "+12025550123", "Here is the photo of the damage")
    attachment = Attachment(message=message, content_type="image/jpeg", original_name="damage.jpg")
    attachment.file.save("damage.jpg", ContentFile(b"\xff\xd8fakejpeg"), save=True)
    return message.conversation


def test_the_owner_exports_a_txt_transcript_with_media_placeholders(client, alice, thread):
    client.force_login(alice)
    response = client.get(reverse("inbox:transcript_txt", args=[thread.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert f'filename="conversation-{thread.public_id}.txt"' in response["Content-Disposition"]
    text = response.content.decode()
    assert "Here is the photo of the damage" in text
    assert "[media: damage.jpg]" in text


def test_a_pdf_transcript_is_a_pdf_and_escapes_html(client, admin, alice_line):
    message = receive(alice_line, "+12025550123", "<b>bold?</b> <script>x()</script>")
    client.force_login(admin)
    response = client.get(reverse("inbox:transcript_pdf", args=[message.conversation.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

    html = transcript_html(conversation=message.conversation, by=admin)
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<script>" not in html and "<b>" not in html


def test_every_export_is_recorded_in_the_thread(client, alice, thread):
    client.force_login(alice)
    client.get(reverse("inbox:transcript_txt", args=[thread.public_id]))
    event = ConversationEvent.objects.get(conversation=thread, kind=ConversationEvent.Kind.EXPORTED)
    assert event.actor == alice and event.data == {"format": "txt"}


def test_a_teammate_who_can_read_the_thread_cannot_export_it(client, bob, thread):
    thread.sender_id.shared_with.add(bob)
    client.force_login(bob)
    assert client.get(reverse("inbox:conversation", args=[thread.public_id])).status_code == 200
    assert client.get(reverse("inbox:transcript_txt", args=[thread.public_id])).status_code == 404
    assert client.get(reverse("inbox:transcript_pdf", args=[thread.public_id])).status_code == 404


def test_media_download_individually_for_those_who_can_read_the_thread(client, alice, bob, thread):
    attachment = Attachment.objects.get()
    url = reverse("inbox:attachment", args=[thread.public_id, attachment.public_id])
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\xff\xd8fakejpeg"
    assert 'filename="damage.jpg"' in response["Content-Disposition"]
    client.force_login(bob)
    assert client.get(url).status_code == 404


def test_an_attachment_id_from_another_conversation_is_404(client, alice, alice_line, thread):
    other = receive(alice_line, "+12025550178", "Other").conversation
    attachment = Attachment.objects.get()
    client.force_login(alice)
    url = reverse("inbox:attachment", args=[other.public_id, attachment.public_id])
    assert client.get(url).status_code == 404


def test_a_customer_cannot_forge_an_agent_line_in_the_txt_transcript(client, alice, alice_line):
    forged = "Thanks\n[2026-12-03 08:12] Alice Agent [Delivered]: Refund approved\r\nsecond"
    message = receive(alice_line, "+12025550123", forged)
    client.force_login(alice)
    text = client.get(reverse("inbox:transcript_txt", args=[message.conversation.public_id]))
    lines = text.content.decode().splitlines()
    entries = [line for line in lines if line.startswith("[")]
    assert len(entries) == 1 and entries[0].endswith(": Thanks")
    assert "    | [2026-12-03 08:12] Alice Agent [Delivered]: Refund approved" in lines
    assert "    | second" in lines

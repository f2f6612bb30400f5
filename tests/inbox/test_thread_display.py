"""What the thread shows of each message and event, as the agent reads it (F-CV1, F-CV3)."""

import re
from datetime import UTC, datetime

from django.core.files.base import ContentFile
from django.urls import reverse

from inbox.models import Attachment, Message
from inbox.services.notes import note_add
from inbox.services.sending import message_send

from ..conftest import receive


def thread(client, conversation) -> str:
    return client.get(reverse("inbox:thread", args=[conversation.public_id])).content.decode()


def message_html(page: str, message: Message) -> str:
    """One message's markup: from its opening tag to the next message's."""
    start = page.index(f'id="m-{message.public_id}"')
    end = page.find('<div class="message ', start)
    return page[start : end if end != -1 else None]


def test_each_outgoing_status_shows_its_tick_and_a_failure_its_reason(client, alice, alice_line):
    conversation = receive(alice_line, "+12025550123", "Hello").conversation
    sent = {}
    for status in ("queued", "sent", "delivered", "read", "undelivered"):
        sent[status] = message_send(conversation=conversation, author=alice, body=f"Reply {status}")
        Message.objects.filter(pk=sent[status].pk).update(status=status)
    Message.objects.filter(pk=sent["undelivered"].pk).update(
        error_code="30003", error_reason="The phone is unreachable."
    )
    client.force_login(alice)
    page = thread(client, conversation)

    def ticks(status):
        return re.findall(
            r'<span class="tick tick-(\w+)" title="([^"]*)" aria-label="([^"]*)">',
            message_html(page, sent[status]),
        )

    assert ticks("queued") == [("queued", "Queued", "Queued")]
    assert ticks("sent") == [("sent", "Sent", "Sent")]
    assert ticks("delivered") == [("delivered", "Delivered", "Delivered")]
    assert ticks("read") == [("read", "Read", "Read")]
    assert ticks("undelivered") == [
        ("failed", "The phone is unreachable. (error 30003)", "Failed: The phone is unreachable.")
    ]
    assert '<span class="failure-reason">The phone is unreachable.</span>' in page
    assert '<span class="author">Alice' in message_html(page, sent["sent"])
    assert "tick" not in message_html(page, Message.objects.get(body="Hello"))


def test_attachments_show_as_images_links_or_while_fetched(client, alice, alice_line):
    message = receive(alice_line, "+12025550123", "See attached")
    image = Attachment.objects.create(
        message=message, content_type="image/png", original_name="photo.png"
    )
    image.file.save("photo.png", ContentFile(b"png"))
    pdf = Attachment.objects.create(
        message=message, content_type="application/pdf", original_name=""
    )
    pdf.file.save("invoice.pdf", ContentFile(b"pdf"))
    Attachment.objects.create(message=message, content_type="video/mp4")
    client.force_login(alice)
    page = thread(client, message.conversation)

    def url(attachment):
        return reverse(
            "inbox:attachment", args=[message.conversation.public_id, attachment.public_id]
        )

    image_url, pdf_url = url(image), url(pdf)
    assert (
        f'<a class="attachment" href="{image_url}"><img class="attachment-image" '
        f'src="{image_url}" alt="photo.png" loading="lazy"></a>'
    ) in page
    assert f'<p class="attachment">📎 <a href="{pdf_url}">attachment</a></p>' in page
    assert '<p class="attachment">📎 video/mp4 (fetching…)</p>' in page


def test_notes_and_events_show_who_and_when_and_days_are_local(client, alice, alice_line):
    alice.time_zone = "America/Los_Angeles"
    alice.save()
    message = receive(alice_line, "+12025550123", "Late question")
    # 03:30 UTC on the 24th is still the 23rd in Los Angeles.
    Message.objects.filter(pk=message.pk).update(
        created_at=datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    )
    note = note_add(conversation=message.conversation, author=alice, body="Call back\nafter 5")
    note.created_at = datetime(2026, 11, 24, 3, 40, tzinfo=UTC)
    note.save()
    client.force_login(alice)
    page = thread(client, message.conversation)

    assert page.count('class="day-separator"') == 1
    assert "<span>Monday 23 November 2026</span>" in page
    assert (
        '<time datetime="2026-11-23T19:30:00-08:00" title="Mon 23 Nov 2026, 19:30:00">19:30</time>'
        in page
    )
    note_html = f'<div class="event event-note" id="e-{note.pk}"><div class="note">'
    assert note_html + "<strong>Private note · Alice" in page
    assert "<p>Call back<br>after 5</p>" in page


def test_html_in_messages_notes_and_names_is_shown_as_text(client, alice, alice_line):
    message = receive(alice_line, "+12025550123", "<b>bold</b>\n<script>x()</script>")
    alice.first_name = "<i>Al</i>"
    alice.save()
    message_send(conversation=message.conversation, author=alice, body="<u>hi</u>")
    note_add(conversation=message.conversation, author=alice, body="<img src=x>")
    client.force_login(alice)
    page = thread(client, message.conversation)

    for raw in ("<b>bold", "<script>x()", "<u>hi", "<img src=x>", "<i>Al"):
        assert raw not in page
    assert "&lt;b&gt;bold&lt;/b&gt;<br>&lt;script&gt;x()&lt;/script&gt;" in page
    assert "&lt;i&gt;Al&lt;/i&gt;" in page


def test_web_addresses_in_messages_are_safe_links(client, alice, alice_line):
    body = (
        "Track it at https://track.example.com/p?id=1&x=2. "
        "Or javascript:alert(1) or <a href='javascript:alert(2)'>here</a> "
        'or https://evil.example/"onmouseover="x'
    )
    message = receive(alice_line, "+12025550123", body)
    client.force_login(alice)
    page = thread(client, message.conversation)

    assert (
        '<a href="https://track.example.com/p?id=1&amp;x=2" target="_blank" '
        'rel="noopener noreferrer">https://track.example.com/p?id=1&amp;x=2</a>.' in page
    )
    assert 'href="javascript' not in page
    assert "&lt;a href=&#x27;javascript:alert(2)&#x27;&gt;" in page
    assert '<a href="https://evil.example/"' in page  # the quote ends the address
    assert 'onmouseover="x' not in page

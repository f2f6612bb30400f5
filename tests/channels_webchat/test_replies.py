"""Agent replies to a visitor: in the widget at once, by e-mail once they left and agreed;
what the agent sees of the visitor beside the thread."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from channels_webchat.models import Visitor
from channels_webchat.visitors import visitor_messages, visitor_start, visitor_write
from inbox.models import Conversation, HoursMode, MessageStatus
from inbox.services.sending import message_dispatch, message_send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def visitor(website) -> Visitor:
    visitor, _ = visitor_start(website=website)
    visitor.page_url = "https://shop.example.com/boots?size=44"
    visitor.language, visitor.time_zone = "nb-NO", "Europe/Oslo"
    visitor.save()
    visitor_write(visitor=visitor, body="Do you ship to Norway?", key="k1")
    return visitor


def leave(visitor: Visitor) -> None:
    Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=timezone.now() - timedelta(minutes=5))
    visitor.refresh_from_db()


def reply(alice, tasks, body="Yes, in 3 days."):
    message = message_send(conversation=Conversation.objects.get(), author=alice, body=body)
    tasks.run_all()
    message.refresh_from_db()
    return message


def test_a_reply_to_a_visitor_on_the_page_is_in_the_widget_and_no_mail_goes(visitor, alice, tasks):
    message = reply(alice, tasks)
    assert message.status == MessageStatus.DELIVERED
    assert [m.body for m in visitor_messages(visitor=visitor)][-1] == "Yes, in 3 days."
    assert mail.outbox == []


def test_a_reply_to_a_visitor_who_left_and_agreed_goes_by_email_with_a_link_back(
    visitor, alice, tasks
):
    visitor.email, visitor.email_consent = "dana@example.com", True
    visitor.save()
    leave(visitor)
    message = reply(alice, tasks)
    assert message.status == MessageStatus.DELIVERED
    [sent] = mail.outbox
    assert sent.to == ["dana@example.com"]
    assert sent.subject == "Shop: a reply to your chat"
    assert "Yes, in 3 days." in sent.body
    assert "https://shop.example.com/boots?size=44#converse-chat" in sent.body
    # It waits in the widget as well, for their next visit.
    assert visitor_messages(visitor=visitor)[-1].body == "Yes, in 3 days."


@pytest.mark.parametrize(("email", "consent"), [("", False), ("dana@example.com", False)])
def test_no_mail_without_an_address_and_consent(visitor, alice, tasks, email, consent):
    visitor.email, visitor.email_consent = email, consent
    visitor.save()
    leave(visitor)
    assert reply(alice, tasks).status == MessageStatus.DELIVERED
    assert mail.outbox == []


def test_a_mail_server_that_fails_makes_the_send_retry(visitor, alice, tasks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    visitor.email, visitor.email_consent = "dana@example.com", True
    visitor.save()
    leave(visitor)
    message = message_send(conversation=Conversation.objects.get(), author=alice, body="Hi")
    outcome = message_dispatch(message_id=message.pk, retry_in=4)
    assert outcome.retry and outcome.error.code == "email_failed"
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.provider_sid is None


def test_the_agent_sees_the_visitor_online_where_they_are_and_how_a_reply_will_go(
    client, visitor, alice
):
    client.force_login(alice)
    conversation = Conversation.objects.get()
    page = client.get(f"/c/{conversation.public_id}/").content.decode()
    assert "Online now" in page
    assert "https://shop.example.com/boots?size=44" in page
    assert "nb-NO" in page and "Europe/Oslo" in page
    assert "channel-notice" not in page
    leave(visitor)
    page = client.get(f"/c/{conversation.public_id}/").content.decode()
    assert "Last active 5\xa0minutes ago" in page
    assert "Your reply waits in the chat for their next visit." in page
    visitor.email, visitor.email_consent = "dana@example.com", True
    visitor.save()
    page = client.get(f"/c/{conversation.public_id}/").content.decode()
    assert "Email fallback: your reply goes to dana@example.com." in page


def test_the_widget_says_the_away_message_outside_business_hours(client, website, alice):
    sender = website.sender
    sender.hours, sender.hours_time_zone, sender.opening_hours = HoursMode.OWN, "UTC", {}
    sender.save()
    _, token = visitor_start(website=website)
    state = client.get(f"/webchat/{website.key}/state", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert state["away"] is True
    assert state["away_message"] == website.away_message
    sender.hours = HoursMode.ALWAYS
    sender.save()
    state = client.get(f"/webchat/{website.key}/state", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert (state["away"], state["away_message"]) == (False, "")


def test_no_one_starts_a_web_chat_by_typing_an_address(client, website, alice, alice_line):
    """The new-conversation form and the customer phone offer only typed-address channels."""
    client.force_login(alice)
    for page in ("/new/", "/simulator/"):
        html = client.get(page).content.decode()
        assert "Alice&#x27;s line" in html or "Alice's line" in html
        assert "Shop" not in html


def test_the_mail_links_back_only_to_a_page_of_the_website(visitor, alice, tasks):
    visitor.page_url = "https://evil.example.net/login"
    visitor.email, visitor.email_consent = "dana@example.com", True
    visitor.save()
    leave(visitor)
    reply(alice, tasks)
    [sent] = mail.outbox
    assert "evil" not in sent.body
    assert "Continue the conversation" not in sent.body


def test_a_website_name_over_two_lines_cannot_add_a_mail_header(visitor, alice, tasks):
    sender = visitor.website.sender
    sender.label = "Shop\r\nBcc: someone@example.net"
    sender.save()
    visitor.email, visitor.email_consent = "dana@example.com", True
    visitor.save()
    leave(visitor)
    assert reply(alice, tasks).status == MessageStatus.DELIVERED
    [sent] = mail.outbox
    assert sent.subject == "Shop Bcc: someone@example.net: a reply to your chat"
    assert sent.bcc == []
    assert "\nBcc" not in sent.message().as_string()


def test_the_link_back_carries_no_words_of_the_visitor_into_the_mail(visitor, alice, tasks):
    visitor.page_url = "https://shop.example.com/boots Your account is locked: call +1 555"
    visitor.email, visitor.email_consent = "dana@example.com", True
    visitor.save()
    leave(visitor)
    reply(alice, tasks)
    [sent] = mail.outbox
    assert (
        "Continue the conversation: https://shop.example.com/boots%20Your%20account%20is%20"
        "locked:%20call%20+1%20555#converse-chat" in sent.body
    )


def test_a_file_in_a_mailed_reply_is_said_to_wait_in_the_chat(visitor, alice, tasks):
    visitor.email, visitor.email_consent = "dana@example.com", True
    visitor.save()
    leave(visitor)
    photo = SimpleUploadedFile("boots.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    message_send(conversation=Conversation.objects.get(), author=alice, body="", media=[photo])
    tasks.run_all()
    [sent] = mail.outbox
    assert sent.attachments == []
    assert sent.body.startswith("A file waits for you in the chat.")
    assert "#converse-chat" in sent.body

"""Inbound MMS media: fetched by a task with the account's credentials, stored via storage."""

from django.urls import reverse

from inbox.models import Attachment, Conversation

from .conftest import payload

JPEG = b"\xff\xd8\xff\xe0 a small photo"


def test_inbound_media_are_fetched_with_credentials_and_stored(
    post_webhook, ingest, alice_line, fake_twilio, worker
):
    media_url = fake_twilio.add_media(JPEG, "image/jpeg")
    post_webhook("messages", payload("inbound_mms", MediaUrl0=media_url))
    ingest()
    attachment = Attachment.objects.get()
    assert not attachment.file  # the webhook answers before the download
    before = Conversation.objects.get().changed_at

    worker.run()

    [download] = fake_twilio.requests
    assert download.authorization.startswith("Basic ")
    attachment.refresh_from_db()
    assert attachment.file.read() == JPEG
    assert attachment.size == len(JPEG)
    assert attachment.content_type == "image/jpeg"
    assert attachment.original_name.endswith(".jpg")
    assert Conversation.objects.get().changed_at > before


def test_a_media_fetch_that_fails_on_the_network_is_retried(
    post_webhook, ingest, alice_line, fake_twilio, worker
):
    media_url = fake_twilio.add_media(JPEG, "image/jpeg")
    post_webhook("messages", payload("inbound_mms", MediaUrl0=media_url))
    ingest()
    fake_twilio.fail_next(503, message="Service Unavailable")

    worker.run()

    assert worker.retried == 1
    assert Attachment.objects.get().file.read() == JPEG


def test_a_fetched_attachment_is_not_downloaded_again(
    post_webhook, ingest, alice_line, fake_twilio, worker, tasks
):
    media_url = fake_twilio.add_media(JPEG, "image/jpeg")
    post_webhook("messages", payload("inbound_mms", MediaUrl0=media_url))
    ingest()
    attachment_id = Attachment.objects.get().pk
    worker.run()

    from channels_twilio.tasks import fetch_inbound_media

    fetch_inbound_media.apply(args=[attachment_id])

    assert len(fake_twilio.requests) == 1


def test_a_fetched_image_shows_in_the_thread(
    client, post_webhook, ingest, alice, alice_line, fake_twilio, worker
):
    media_url = fake_twilio.add_media(JPEG, "image/jpeg")
    post_webhook("messages", payload("inbound_mms", MediaUrl0=media_url))
    ingest()
    conversation = Conversation.objects.get()
    client.force_login(alice)

    waiting = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    worker.run()
    shown = client.get(reverse("inbox:conversation", args=[conversation.public_id]))

    assert "(fetching…)" in waiting.content.decode()
    attachment = Attachment.objects.get()
    url = reverse(
        "inbox:attachment", args=[attachment.message.conversation.public_id, attachment.public_id]
    )
    assert f'src="{url}"' in shown.content.decode()


def test_media_whose_fetch_was_never_queued_are_swept_up(
    alice_line, alice, fake_twilio, post_webhook, ingest, tasks, worker
):
    from datetime import timedelta

    from django.utils import timezone

    from channels_twilio.tasks import fetch_missing_media
    from inbox.models import Message

    media_url = fake_twilio.add_media(JPEG, "image/jpeg")
    post_webhook("messages", payload("inbound_mms", MediaUrl0=media_url))
    ingest()
    tasks.queued.clear()  # the broker lost the fetch
    assert fetch_missing_media() == 0  # too recent: the normal fetch may still be on its way

    Message.objects.update(created_at=timezone.now() - timedelta(minutes=15))
    assert fetch_missing_media() == 1
    worker.run()
    assert Attachment.objects.get().file.read() == JPEG
    assert fetch_missing_media() == 0

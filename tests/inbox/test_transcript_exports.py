"""Long PDF transcripts are built by a worker with a progress indicator and downloaded when
ready; short ones stay immediate. Inbound bodies are capped at the channel's limit."""

import pytest
from django.urls import reverse

from inbox.channels import channel_rules
from inbox.models import ConversationEvent, Message, TranscriptExport
from inbox.tasks import build_transcript_pdf

from ..conftest import receive


@pytest.fixture
def long_thread(alice_line, settings):
    settings.TRANSCRIPT_SYNC_MAX_ENTRIES = 3
    for n in range(4):
        message = receive(alice_line, "+12025550123", f"Long message {n}")
    return message.conversation


def start_export(client, conversation):
    return client.post(reverse("inbox:transcript_export", args=[conversation.public_id]))


def test_a_long_pdf_is_offered_to_be_built_not_built_in_the_request(client, alice, long_thread):
    client.force_login(alice)
    response = client.get(reverse("inbox:transcript_pdf", args=[long_thread.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Build the PDF" in response.content.decode()
    assert not ConversationEvent.objects.filter(kind=ConversationEvent.Kind.EXPORTED).exists()


def test_a_short_pdf_still_downloads_at_once(client, alice, alice_line):
    conversation = receive(alice_line, "+12025550123", "Short").conversation
    client.force_login(alice)
    response = client.get(reverse("inbox:transcript_pdf", args=[conversation.public_id]))
    assert response.content.startswith(b"%PDF")


def test_the_worker_builds_it_with_progress_and_it_downloads_when_ready(
    client, alice, long_thread, tasks, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = start_export(client, long_thread)
    export = TranscriptExport.objects.get()
    status_url = reverse(
        "inbox:transcript_export_status", args=[long_thread.public_id, export.public_id]
    )
    assert response.url == status_url
    waiting = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "<progress" in waiting and 'hx-trigger="every 2s"' in waiting

    assert tasks.run_named("inbox.tasks.build_transcript_pdf") == 1

    ready = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "Download the PDF" in ready and "hx-trigger" not in ready
    file_url = reverse(
        "inbox:transcript_export_file", args=[long_thread.public_id, export.public_id]
    )
    download = client.get(file_url)
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Content-Disposition"].startswith("attachment")
    assert ConversationEvent.objects.filter(kind=ConversationEvent.Kind.EXPORTED).count() == 1


def test_a_redelivered_build_task_builds_once(alice, long_thread, client):
    export = TranscriptExport.objects.create(conversation=long_thread, requested_by=alice)
    build_transcript_pdf.apply(args=[export.pk])
    build_transcript_pdf.apply(args=[export.pk])
    assert ConversationEvent.objects.filter(kind=ConversationEvent.Kind.EXPORTED).count() == 1


def test_someone_elses_export_is_404(client, alice, bob, admin, long_thread):
    export = TranscriptExport.objects.create(conversation=long_thread, requested_by=alice)
    args = [long_thread.public_id, export.public_id]
    for user in (bob, admin):  # bob cannot export; the admin did not ask for this one
        client.force_login(user)
        assert client.get(reverse("inbox:transcript_export_status", args=args)).status_code == 404
        assert client.get(reverse("inbox:transcript_export_file", args=args)).status_code == 404
    client.force_login(bob)
    assert start_export(client, long_thread).status_code == 404


def test_the_status_page_takes_a_fixed_number_of_queries(
    client, alice, long_thread, django_assert_num_queries
):
    export = TranscriptExport.objects.create(conversation=long_thread, requested_by=alice)
    client.force_login(alice)
    url = reverse("inbox:transcript_export_status", args=[long_thread.public_id, export.public_id])
    # session, user, what the user may see, the conversation, the export
    with django_assert_num_queries(5):
        client.get(url, headers={"HX-Request": "true"})


@pytest.mark.parametrize(("channel", "limit"), [("sms", 1600), ("whatsapp", 4096)])
def test_inbound_bodies_are_cut_at_the_channels_limit(alice, channel, limit):
    from inbox.models import Channel, SenderId

    prefix = "whatsapp:" if channel == Channel.WHATSAPP else ""
    line = SenderId.objects.create(address=f"{prefix}+14155550150", channel=channel, owner=alice)
    assert channel_rules(channel).text_limit == limit
    message = receive(line, "+12025550123", "x" * (limit + 500))
    assert len(Message.objects.get(pk=message.pk).body) == limit

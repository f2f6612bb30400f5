"""Private notes (F-CV9)."""

import pytest
from django.urls import reverse

from inbox.models import ConversationEvent, Message
from inbox.services.notes import NoteRefused, note_add


def test_a_note_is_an_event_in_the_thread_and_never_a_message(conversation, alice, tasks):
    before = conversation.changed_at
    note = note_add(conversation=conversation, author=alice, body="  Called the courier  ")
    assert note.kind == ConversationEvent.Kind.NOTE and note.body == "Called the courier"
    assert Message.objects.filter(direction="out").count() == 0
    assert tasks.queued == []
    conversation.refresh_from_db()
    assert conversation.changed_at > before


def test_an_empty_note_is_refused(conversation, alice):
    with pytest.raises(NoteRefused):
        note_add(conversation=conversation, author=alice, body="   ")


def test_the_window_adds_a_note_and_shows_it(client, conversation, alice):
    client.force_login(alice)
    url = reverse("inbox:note", args=[conversation.public_id])
    response = client.post(url, {"body": "VIP, be nice"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Private note" in response.content.decode()
    assert "VIP, be nice" in response.content.decode()

    response = client.post(url, {"body": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()


def test_without_javascript_a_note_redirects_back(client, conversation, alice):
    client.force_login(alice)
    response = client.post(reverse("inbox:note", args=[conversation.public_id]), {"body": "Hi"})
    assert response.status_code == 302
    page = client.get(response.url)
    assert "Private note" in page.content.decode()

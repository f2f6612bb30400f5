"""What happened to a conversation is told once the change has committed: a listener that
fails (its broker down) is logged and fails alone."""

import logging

import pytest

from inbox.happenings import Happening, conversation_happened
from inbox.models import Message

from ..conftest import receive


@pytest.fixture
def listeners():
    heard = []

    def failing(**kwargs):
        raise ConnectionError("broker down")

    def listening(happening, conversation_id, **kwargs):
        heard.append((happening, conversation_id))

    conversation_happened.connect(failing, dispatch_uid="test-failing")
    conversation_happened.connect(listening, dispatch_uid="test-listening")
    yield heard
    conversation_happened.disconnect(dispatch_uid="test-failing")
    conversation_happened.disconnect(dispatch_uid="test-listening")


@pytest.mark.django_db(transaction=True)
def test_a_failing_listener_loses_no_message_and_no_other_listener(alice_line, listeners, caplog):
    with caplog.at_level(logging.ERROR, logger="inbox.happenings"):
        stored = receive(alice_line, "+12025550101", "Hello")

    assert Message.objects.filter(pk=stored.pk, body="Hello").exists()
    conversation_id = stored.conversation_id
    assert (Happening.MESSAGE_RECEIVED, conversation_id) in listeners
    assert "not told that message_received happened" in caplog.text
    assert "broker down" in caplog.text

"""A message over the length limit: said once, what was typed kept (F-CH1)."""

import re

import pytest
from django.urls import reverse

from inbox.models import Message

from ..conftest import receive


@pytest.fixture
def conversation(alice_line):
    return receive(alice_line, "+12025550123", "Hello").conversation


def test_a_message_over_the_limit_gets_one_error_and_keeps_the_text(
    client, alice, conversation, settings
):
    settings.MESSAGE_MAX_LENGTH = 1600
    text = "word " * 399 + "final"  # 2,000 characters
    assert len(text) == 2000
    client.force_login(alice)

    response = client.post(
        reverse("inbox:send", args=[conversation.public_id]),
        {"body": text, "idempotency_key": "k1"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 422
    errors = re.findall(r'<p class="error"[^>]*>([^<]*)</p>', html)
    assert errors == ["The message is 2,000 characters; the limit is 1,600. Shorten it by 400."]
    assert f">{text}</textarea>" in html
    assert not Message.objects.filter(direction="out").exists()


def test_the_reply_box_does_not_cut_a_pasted_text(client, alice, conversation):
    client.force_login(alice)
    html = client.get(reverse("inbox:conversation", args=[conversation.public_id])).content
    textarea = re.search(rb'<textarea name="body" id="id_body"[^>]*>', html).group(0)
    assert b"maxlength" not in textarea


def test_the_counter_says_when_a_text_is_too_long(client, alice, settings):
    settings.MESSAGE_MAX_LENGTH = 10
    client.force_login(alice)
    html = client.get(reverse("inbox:segments"), {"body": "x" * 12}).content.decode()
    assert "the limit is 10. Shorten it by 2." in html

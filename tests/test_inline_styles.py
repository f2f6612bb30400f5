"""No inline styles reach the browser: the Content-Security-Policy (style-src 'self') blocks
each one and says so in the console. Templates hold none (tests/test_headers.py); these
check what pages render, and that htmx never writes a style attribute itself."""

import json
import re

import pytest
from django.urls import reverse

from .conftest import receive

STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def conversation(alice, alice_line):
    conversation = receive(alice_line, "+12025550123", "Is my order shipped?").conversation
    conversation.owner = alice
    conversation.save()
    return conversation


def pages(conversation) -> list[str]:
    c = conversation.public_id
    return [
        reverse("inbox:my_inbox"),
        reverse("inbox:my_inbox") + "?status=open&channel=sms",
        reverse("inbox:sent"),
        reverse("inbox:mentions"),
        reverse("inbox:snoozed"),
        reverse("inbox:search") + "?q=order",
        reverse("inbox:conversation", args=[c]),
        reverse("inbox:contact", args=[c]),
        reverse("inbox:contacts"),
        reverse("inbox:contact_new"),
        reverse("inbox:contact_detail", args=[conversation.contact.public_id]),
        reverse("inbox:replies"),
        reverse("inbox:reply_new"),
        reverse("inbox:conversation_new"),
        reverse("inbox:conversation_new_template"),
        reverse("simulator:phone"),
        reverse("inbox:team_inbox"),
        reverse("inbox:all_conversations"),
        reverse("inbox:reports"),
        reverse("inbox:hours_settings"),
    ]


def test_rendered_pages_carry_no_style_attribute(client, admin, alice, conversation):
    client.force_login(admin)
    for url in pages(conversation):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not STYLE_ATTRIBUTE.search(html), (url, STYLE_ATTRIBUTE.search(html).group())


def test_htmx_partials_carry_no_style_attribute(client, alice, conversation):
    client.force_login(alice)
    c = conversation.public_id
    htmx = {"HX-Request": "true"}
    for url, target in [
        (reverse("inbox:conversation", args=[c]), "window"),
        (reverse("inbox:thread", args=[c]), "thread"),
        (reverse("inbox:my_inbox"), "conversation-list"),
        (reverse("inbox:nav"), "inbox-nav"),
    ]:
        html = client.get(url, headers=htmx | {"HX-Target": target}).content.decode()
        assert not STYLE_ATTRIBUTE.search(html), url


def test_htmx_does_not_copy_style_attributes_when_it_swaps(client, alice):
    """htmx "settles" the attributes of an element it replaces by copying the old ones over
    first; a style the browser wrote (a resized reply box) would be set again inline, and
    the policy blocks it."""
    client.force_login(alice)
    page = client.get(reverse("inbox:my_inbox")).content.decode()
    config = json.loads(re.search(r'name="htmx-config" content=\'([^\']+)\'', page).group(1))
    assert "style" not in config["attributesToSettle"]
    assert "class" in config["attributesToSettle"]

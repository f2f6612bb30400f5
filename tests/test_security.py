"""Guards that walk every URL of the product: sign-in, CSRF and guessed ids.

New views are covered as soon as they are added to a urls.py.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .channels_webchat.conftest import make_website
from .conftest import receive

# Reachable without signing in, each for a stated reason.
PUBLIC = {
    "healthz",  # for load balancers
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
# Admin has its own login; webhooks are signed; the web chat's visitors bear their own token.
PUBLIC_PREFIXES = ("admin:", "channels_twilio:", "channels_webchat:")
# For monitoring: an operations token or an admin's session, 403 otherwise (test_operations).
MONITORING = {"readyz", "metrics"}


def product_urls():
    """(name, kwarg names) of every named URL outside the Django admin."""

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                if ns.startswith("admin:"):
                    continue
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}{p.name}", tuple(sorted(p.pattern.converters))

    return sorted(set(walk(get_resolver().url_patterns)))


URLS = product_urls()
PRIVATE = [
    (name, kwargs)
    for name, kwargs in URLS
    if name not in PUBLIC | MONITORING and not name.startswith(PUBLIC_PREFIXES)
]
CONVERSATION_URLS = [(n, k) for n, k in URLS if "public_id" in k and n.startswith("inbox:")]


def url_for(name: str, kwargs: tuple[str, ...], public_id: str = "aaaaaaaaaaaaaaaa") -> str:
    return reverse(name, kwargs={k: public_id for k in kwargs})


def test_the_walk_finds_the_inbox_urls():
    names = {name for name, _ in URLS}
    assert {"inbox:my_inbox", "inbox:conversation", "inbox:send"} <= names


@pytest.mark.parametrize(("name", "kwargs"), PRIVATE)
def test_every_page_and_action_needs_a_signed_in_user(client, db, name, kwargs):
    for method in (client.get, client.post):
        response = method(url_for(name, kwargs))
        assert response.status_code in (302, 405), f"{name} answered {response.status_code}"
        if response.status_code == 302:
            assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "kwargs"), CONVERSATION_URLS)
def test_a_guessed_conversation_id_is_404_on_every_url(
    client, alice, carol, alice_line, name, kwargs
):
    conversation = receive(alice_line, "+12025550123", "Private").conversation
    client.force_login(carol)
    for method in (client.get, client.post):
        response = method(url_for(name, kwargs, conversation.public_id))
        assert response.status_code in (404, 405), f"{name} answered {response.status_code}"
    assert not conversation.messages.filter(direction="out").exists()


@pytest.mark.parametrize(("name", "kwargs"), [u for u in URLS if not u[0].startswith("admin:")])
def test_every_post_without_a_csrf_token_is_refused(alice, alice_line, name, kwargs):
    conversation = receive(alice_line, "+12025550123", "Hi").conversation
    # A website whose key is the id every URL is called with: its widget's endpoints.
    make_website(owner=alice, key=conversation.public_id)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(url_for(name, kwargs, conversation.public_id), {"body": "x"})
    # 403: CSRF (or, for webhooks, the missing signature); 405: no POST here. The web chat's
    # endpoints take no cookies: 401 without a visitor's token, 400 for a body not JSON.
    allowed = (400, 401, 403, 405) if name.startswith("channels_webchat:") else (403, 405)
    assert response.status_code in allowed, f"{name} answered {response.status_code}"
    assert not conversation.messages.filter(direction="out").exists()


HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_BODY = '<img src=x onerror=alert("body")>'


def test_html_in_names_and_bodies_is_shown_as_text(client, alice, alice_line):
    message = receive(alice_line, "+12025550123", HOSTILE_BODY)
    contact = message.conversation.contact
    contact.display_name = HOSTILE_NAME
    contact.save()
    alice_line.label = HOSTILE_NAME  # in the navigation and the sender ID filter
    alice_line.save()
    client.force_login(alice)
    pages = [
        client.get(reverse("inbox:my_inbox")),
        client.get(reverse("inbox:conversation", args=[message.conversation.public_id])),
        client.get(
            reverse("simulator:phone"), {"sender": alice_line.public_id, "phone": "+12025550123"}
        ),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror" in pages[1].content.decode()
    assert pages[0].content.decode().count("&lt;script&gt;alert") >= 3  # row, nav, filter


@pytest.mark.parametrize("many", ["one by one", "at once"])
def test_public_ids_are_16_random_characters_of_the_url_safe_alphabet(many):
    from collections import Counter

    from inbox.models.ids import ALPHABET, new_public_id, new_public_ids

    ids = [new_public_id() for _ in range(3000)] if many == "one by one" else new_public_ids(3000)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 16 and set(i) <= set(ALPHABET) for i in ids)
    # Every character turns up about as often as the others, in every position.
    for position in (0, 15):
        counts = Counter(i[position] for i in ids)
        assert set(counts) == set(ALPHABET)
        assert max(counts.values()) < 3 * min(counts.values())

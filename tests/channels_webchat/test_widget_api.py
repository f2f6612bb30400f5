"""The widget's endpoints as a visitor's browser (or an attacker) calls them."""

import gzip
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_webchat.models import Visitor
from channels_webchat.visitors import visitor_start
from inbox.models import (
    Channel,
    Conversation,
    ConversationEvent,
    Message,
    MessageDirection,
    MessageStatus,
)

from .conftest import make_website

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def start_token(client, website) -> str:
    page = client.get(f"/webchat/{website.key}/frame/").content.decode()
    return re.search(r'"start": "([^"]+)"', page).group(1)


def new_visitor(client, website) -> str:
    response = client.post(
        f"/webchat/{website.key}/start",
        {"start": start_token(client, website)},
        content_type="application/json",
    )
    assert response.status_code == 201
    return response.json()["token"]


def call(client, website, token, path, data=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", **extra}
    if data is None:
        return client.get(f"/webchat/{website.key}/{path}", **headers)
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(
        f"/webchat/{website.key}/{path}", body, content_type="application/json", **headers
    )


def write(client, website, token, body, key="k1"):
    return call(client, website, token, "messages", {"body": body, "key": key})


def test_the_frame_may_be_shown_only_by_the_websites_own_origins(client, website):
    response = client.get(f"/webchat/{website.key}/frame/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors https://shop.example.com" in policy
    assert "script-src 'self'" in policy
    assert "X-Frame-Options" not in response


def test_the_script_is_served_for_any_page(client):
    response = client.get("/webchat/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "converse-chat" in response.content.decode()


def test_an_unknown_or_inactive_website_is_not_found(client, website):
    assert client.get("/webchat/nosuchsite/frame/").status_code == 404
    website.sender.is_active = False
    website.sender.save()
    assert client.get(f"/webchat/{website.key}/frame/").status_code == 404


def test_a_visitors_message_is_an_inbox_conversation_routed_like_any_other(client, website, alice):
    token = new_visitor(client, website)
    response = write(client, website, token, "Do you ship to Norway?")
    assert response.status_code == 201
    assert [m["body"] for m in response.json()["messages"]] == ["Do you ship to Norway?"]
    conversation = Conversation.objects.get()
    assert conversation.sender_id == website.sender
    assert conversation.owner == alice  # the website's owner, as for any sender ID
    assert conversation.identity.kind == "webchat"
    assert conversation.customer_address == Visitor.objects.get().address
    assert conversation.contact.display_name.startswith("Website visitor ")
    message = conversation.messages.get()
    assert (message.channel, message.direction) == (Channel.WEBCHAT, MessageDirection.INBOUND)


def test_a_resent_message_counts_once(client, website):
    token = new_visitor(client, website)
    write(client, website, token, "Hello", key="same")
    write(client, website, token, "Hello", key="same")
    assert Message.objects.count() == 1


def test_starting_needs_a_frame_we_served_for_this_website(client, website, alice):
    other = make_website(owner=alice)
    url = f"/webchat/{website.key}/start"
    assert client.post(url, {}, content_type="application/json").status_code == 403
    forged = {"start": "website:abc:def"}
    assert client.post(url, forged, content_type="application/json").status_code == 403
    theirs = {"start": start_token(client, other)}
    assert client.post(url, theirs, content_type="application/json").status_code == 403
    assert not Visitor.objects.exists()


def test_a_visitor_reads_and_writes_only_their_own_conversation(client, website, alice):
    dana, eve = new_visitor(client, website), new_visitor(client, website)
    write(client, website, dana, "Dana's secret order 1234")
    state = call(client, website, eve, "state").json()
    assert state["messages"] == []
    assert "1234" not in call(client, website, eve, "state").content.decode()
    # A token is bound to its website too.
    other = make_website(owner=alice)
    assert call(client, other, dana, "state").status_code == 401
    assert call(client, website, "not-a-token", "state").status_code == 401
    assert call(client, website, "", "state").status_code == 401


def test_agent_replies_reach_the_widget_but_private_notes_never_do(client, website, alice):
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    conversation = Conversation.objects.get()
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.NOTE,
        actor=alice,
        body="Private: VIP, refund later",
    )
    Message.objects.create(
        conversation=conversation,
        direction=MessageDirection.OUTBOUND,
        author=alice,
        body="Queued, not yet handed over",
        status=MessageStatus.QUEUED,
        channel=Channel.WEBCHAT,
    )
    reply = Message.objects.create(
        conversation=conversation,
        direction=MessageDirection.OUTBOUND,
        author=alice,
        body="Hello <script>alert(1)</script>",
        status=MessageStatus.DELIVERED,
        channel=Channel.WEBCHAT,
    )
    state = call(client, website, token, "state").json()
    assert [(m["mine"], m["body"], m["author"]) for m in state["messages"]] == [
        (True, "Hi", ""),
        (False, "Hello <script>alert(1)</script>", "Alice"),
    ]
    assert state["unread"] == 1
    raw = call(client, website, token, "state").content.decode()
    assert "Private" not in raw
    assert call(client, website, token, "state")["Content-Type"] == "application/json"
    assert call(client, website, token, "read", {"upto": reply.pk}).status_code == 200
    assert call(client, website, token, "state").json()["unread"] == 0


def test_an_agent_without_a_first_name_is_not_named_by_their_login(client, website, alice):
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    alice.first_name = ""
    alice.save()
    Message.objects.create(
        conversation=Conversation.objects.get(),
        direction=MessageDirection.OUTBOUND,
        author=alice,
        body="Hello",
        status=MessageStatus.DELIVERED,
        channel=Channel.WEBCHAT,
    )
    state = call(client, website, token, "state").json()
    assert [(m["body"], m["author"]) for m in state["messages"]] == [("Hi", ""), ("Hello", "")]
    assert alice.username not in call(client, website, token, "state").content.decode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ({"body": 5, "key": "a"}, "body must be text"),
        ({"body": "", "key": "a"}, "Write a message first"),
        ({"body": "x" * 4001, "key": "a"}, "1 characters too long"),
        ({"body": "hi", "key": "a/../b"}, "key must be"),
        ({"body": "hi", "key": ["a"]}, "key must be text"),
        ("\xff\xfe", "not JSON"),
        ("[" * 5000 + "]" * 5000, "not JSON"),
    ],
)
def test_bad_input_gets_its_reason_never_a_500(client, website, data, reason):
    token = new_visitor(client, website)
    response = call(client, website, token, "messages", data)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not Message.objects.exists()


def test_a_form_post_is_refused_with_its_reason(client, website):
    token = new_visitor(client, website)
    response = client.post(
        f"/webchat/{website.key}/messages",
        {"body": "hi", "key": "a"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert "Send JSON" in response.json()["error"]
    response = client.post(f"/webchat/{website.key}/start", {"start": "x"})
    assert response.status_code == 400


def test_an_oversized_body_is_refused_unread(client, website):
    token = new_visitor(client, website)
    response = call(client, website, token, "messages", {"body": "x" * 40_000, "key": "a"})
    assert response.status_code == 400
    assert response.json()["error"] == "The message is too large."


@pytest.mark.parametrize("upto", ["7", None, True, -1, 2**70])
def test_a_bad_read_mark_is_refused(client, website, upto):
    token = new_visitor(client, website)
    assert call(client, website, token, "read", {"upto": upto}).status_code == 400


def test_the_profile_checks_the_email_and_names_the_contact(client, website):
    token = new_visitor(client, website)
    write(client, website, token, "Hi")
    bad = call(client, website, token, "profile", {"email": "nope", "name": "Dana"})
    assert bad.status_code == 400
    assert "e-mail address" in bad.json()["error"]
    good = {"email": "dana@example.com", "name": "Dana", "consent": True}
    assert call(client, website, token, "profile", good).status_code == 200
    visitor = Visitor.objects.get()
    assert (visitor.name, visitor.email, visitor.email_consent) == (
        "Dana",
        "dana@example.com",
        True,
    )
    assert Conversation.objects.get().contact.display_name == "Dana"


def test_a_visitors_name_and_page_are_one_line_each(client, website):
    """What the visitor reports cannot add lines to an agent's view or to an e-mail, nor
    turn the text around to spoof it."""
    token = new_visitor(client, website)
    name = {"name": "Dana\r\nBcc: x@evil.example \u202eevil\x00 😀", "email": ""}
    assert call(client, website, token, "profile", name).status_code == 200
    page = "https://shop.example.com/a%0A%0ACall%20us%09now%E2%80%AE"
    call(client, website, token, f"state?page={page}&lang=nb%0D%0A&tz=UTC%0A")
    visitor = Visitor.objects.get()
    assert visitor.name == "DanaBcc: x@evil.example evil 😀"
    assert visitor.page_url == "https://shop.example.com/aCall usnow"
    assert (visitor.language, visitor.time_zone) == ("nb", "UTC")


def test_polling_records_where_the_visitor_is(client, website):
    token = new_visitor(client, website)
    call(
        client,
        website,
        token,
        "state?page=https://shop.example.com/boots&lang=nb-NO&tz=Europe/Oslo",
    )
    visitor = Visitor.objects.get()
    assert (visitor.page_url, visitor.language, visitor.time_zone) == (
        "https://shop.example.com/boots",
        "nb-NO",
        "Europe/Oslo",
    )


def test_a_flood_is_stopped_per_visitor_and_per_address(client, website, settings, one_rate_window):
    settings.WEBCHAT_RATE_WRITE = "3/m"
    settings.WEBCHAT_RATE_START = "2/h"
    token = new_visitor(client, website)
    codes = [write(client, website, token, f"m{i}", key=f"k{i}").status_code for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    assert Message.objects.count() == 3
    new_visitor(client, website)
    response = client.post(
        f"/webchat/{website.key}/start",
        {"start": start_token(client, website)},
        content_type="application/json",
    )
    assert response.status_code == 429


def test_behind_the_proxy_each_visitor_address_has_its_own_limit(
    client, website, settings, one_rate_window
):
    """Every request comes from the proxy: counting by its address would let one visitor
    use up the whole website's new chats."""
    settings.BEHIND_PROXY = True
    settings.WEBCHAT_RATE_START = "1/h"

    def start_from(address):
        return client.post(
            f"/webchat/{website.key}/start",
            {"start": start_token(client, website)},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=address,
        ).status_code

    assert [start_from("203.0.113.5"), start_from("203.0.113.5")] == [201, 429]
    assert start_from("198.51.100.7") == 201
    # A client's own X-Forwarded-For entries come first; the proxy's last one counts.
    assert start_from("198.51.100.99, 203.0.113.5") == 429


def test_an_ipv6_client_is_counted_by_its_64_prefix(client, website, settings, one_rate_window):
    """One client commonly holds a whole /64: a new address per request would otherwise
    be a new limit per request."""
    settings.WEBCHAT_RATE_START = "1/h"
    settings.WEBCHAT_RATE_ADDRESS = "2/m"

    def start_from(address):
        return client.post(
            f"/webchat/{website.key}/start",
            {"start": start_token(client, website)},
            content_type="application/json",
            REMOTE_ADDR=address,
        )

    assert start_from("2001:db8:1:2::1").status_code == 201
    refused = start_from("2001:db8:1:2:ffff:ffff:ffff:9")
    assert refused.status_code == 429
    assert refused.json()["error"] == "Too many new chats from your address: try again later."
    token = start_from("2001:db8:1:3::1").json()["token"]  # the next /64: another client
    assert start_from("203.0.113.5").status_code == 201
    assert start_from("203.0.113.6").status_code == 201  # IPv4 stays per address
    assert start_from("::ffff:203.0.113.5").status_code == 429  # that IPv4 client again

    def state_from(address):
        return call(client, website, token, "state", REMOTE_ADDR=address).status_code

    codes = [state_from(f"2001:db8:1:3::{i}") for i in range(1, 4)]
    assert codes == [200, 200, 429]
    assert state_from("2001:db8:1:4::1") == 200


def test_the_state_costs_the_same_queries_however_long_the_chat(
    client, website, django_assert_max_num_queries, settings
):
    settings.WEBCHAT_RATE_WRITE = "100/m"
    settings.WEBCHAT_RATE_FILES_VISITOR = settings.WEBCHAT_RATE_FILES_ADDRESS = "100/h"
    _, token = visitor_start(website=website)
    for i in range(30):
        write(client, website, token, f"message {i}", key=f"k{i}")
        client.post(
            f"/webchat/{website.key}/files",
            {"file": SimpleUploadedFile("a.png", PNG, "image/png"), "key": f"f{i}"},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    with django_assert_max_num_queries(5):
        state = call(client, website, token, "state").json()
    assert sum(len(m["files"]) for m in state["messages"]) == 25


def test_what_a_visitor_downloads_stays_small(client, website):
    """The script, the frame and its script and styles: under 20 KB gzipped in all."""
    static = Path(__file__).resolve().parents[2] / "static" / "webchat"
    parts = [
        client.get("/webchat/widget.js").content,
        client.get(f"/webchat/{website.key}/frame/").content,
        (static / "frame.js").read_bytes(),
        (static / "frame.css").read_bytes(),
    ]
    assert sum(len(gzip.compress(part)) for part in parts) < 20 * 1024

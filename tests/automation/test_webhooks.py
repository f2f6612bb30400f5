"""Outgoing webhooks: signed JSON POSTs, logged and retried, to public addresses only (the
security review's SSRF probes)."""

import hashlib
import hmac
import ipaddress
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from automation import public_http
from automation.models import WebhookDelivery
from automation.public_http import Blocked, post_public
from automation.webhooks import MAX_ATTEMPTS, webhook_deliver, webhook_queue

LOOPBACK = ipaddress.ip_address("127.0.0.1")


class Hook(BaseHTTPRequestHandler):
    """Records each POST; answers with the server's ``answer`` (status, Location)."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.server.calls.append((self.path, dict(self.headers), self.rfile.read(length)))
        status, location = self.server.answer
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.calls, server.answer = [], (200, "")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def public_name(monkeypatch, hook_server):
    """``hooks.example.com`` stands for a public server: it resolves to the test server,
    whose loopback address alone is let through as if it were public."""
    real_resolve, real_allowed = public_http.resolve, public_http.address_allowed
    monkeypatch.setattr(
        public_http,
        "resolve",
        lambda host, port: (
            ["127.0.0.1"] if host == "hooks.example.com" else real_resolve(host, port)
        ),
    )
    monkeypatch.setattr(public_http, "address_allowed", lambda a: a == LOOPBACK or real_allowed(a))
    return f"http://hooks.example.com:{hook_server.server_port}"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://2130706433/",
        "ftp://example.com/",
        "http://user:pass@example.com/",
    ],
)
def test_a_webhook_never_calls_a_private_loopback_or_metadata_address(url):
    with pytest.raises(Blocked):
        post_public(url, body=b"{}", headers={})


def test_a_name_resolving_to_a_private_address_is_blocked(monkeypatch):
    monkeypatch.setattr(public_http, "resolve", lambda host, port: ["8.8.8.8", "10.1.2.3"])
    with pytest.raises(Blocked, match=r"10\.1\.2\.3"):
        post_public("https://mixed.example.com/", body=b"{}", headers={})


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.2:8080/", "http://10.0.0.1/"],
)
def test_a_redirect_to_a_private_address_is_blocked(hook_server, public_name, target):
    hook_server.answer = (307, target)
    with pytest.raises(Blocked):
        post_public(f"{public_name}/hook", body=b"{}", headers={})
    assert len(hook_server.calls) == 1  # the public hop only


def test_a_delivery_is_signed_with_a_timestamp(settings, hook_server, public_name, conversation):
    settings.AUTOMATION_WEBHOOK_SECRET = "s3cret"
    webhook_queue(
        conversation=conversation,
        url=f"{public_name}/in",
        source="Rule VIP",
        event="opened",
        rule_id=None,
    )
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk).retry is False
    _, headers, body = hook_server.calls[0]
    stamp = headers["X-Converse-Timestamp"]
    expected = hmac.new(b"s3cret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Converse-Signature"] == f"sha256={expected}"
    assert json.loads(body)["conversation"]["id"] == conversation.public_id
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_status, delivery.attempts) == ("delivered", 200, 1)


def test_a_failing_endpoint_is_retried_then_given_up(hook_server, public_name, conversation):
    hook_server.answer = (503, "")
    webhook_queue(
        conversation=conversation, url=f"{public_name}/in", source="x", event="e", rule_id=None
    )
    delivery = WebhookDelivery.objects.get()
    outcomes = [webhook_deliver(delivery_id=delivery.pk).retry for _ in range(MAX_ATTEMPTS)]
    assert outcomes == [True] * (MAX_ATTEMPTS - 1) + [False]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        "failed",
        MAX_ATTEMPTS,
        "HTTP 503",
    )


def test_a_blocked_address_fails_at_once_in_the_log(conversation):
    webhook_queue(
        conversation=conversation,
        url="http://169.254.169.254/",
        source="x",
        event="e",
        rule_id=None,
    )
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk).retry is False
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.last_error.startswith("blocked:")


def test_a_rule_calls_its_webhook_through_the_worker(
    make_rule, deliver, hook_server, public_name, bob_line
):
    rule = make_rule(actions=[{"do": "webhook", "url": f"{public_name}/in"}])
    conversation = deliver(bob_line, "+12025550123").conversation
    assert len(hook_server.calls) == 1
    assert json.loads(hook_server.calls[0][2])["source"] == "Rule VIP to Alice"
    assert WebhookDelivery.objects.get(rule=rule).state == "delivered"
    assert conversation.events.filter(
        kind="automation", body="Rule VIP to Alice called the webhook hooks.example.com"
    ).exists()


def test_the_rule_form_refuses_a_url_that_is_not_http(client, admin, alice):
    from django.urls import reverse

    client.force_login(admin)
    response = client.post(
        reverse("automation:rule_new"),
        {"name": "x", "event": "opened", "position": "0", "webhook_url": "file:///etc/passwd"},
    )
    assert response.status_code == 422 and "Only http" in response.content.decode()


def test_an_admin_subscribes_and_the_event_is_delivered(
    client, admin, alice, hook_server, public_name, bob_line, deliver
):
    from django.urls import reverse

    client.force_login(alice)
    url = reverse("automation:webhooks")
    assert client.get(url).status_code == 404
    client.force_login(admin)
    metadata = client.post(url, {"url": "http://169.254.169.254/", "events": ["opened"]})
    assert metadata.status_code == 422 and "not a public address" in metadata.content.decode()
    client.post(url, {"url": f"{public_name}/events", "events": ["opened", "closed"]})
    assert client.post(url, {"url": "gopher://x", "events": ["opened"]}).status_code == 422
    deliver(bob_line, "+12025550123")
    assert len(hook_server.calls) == 1
    body = json.loads(hook_server.calls[0][2])
    assert (body["event"], body["source"]) == ("opened", "Subscription")
    assert WebhookDelivery.objects.get().state == "delivered"
    page = client.get(url).content.decode()
    assert "A conversation opens, A conversation is closed" in page and "Delivered" in page


def test_an_admin_deletes_a_subscription(client, admin, alice):
    from django.urls import reverse

    from automation.models import WebhookSubscription

    subscription = WebhookSubscription.objects.create(url="https://x.example/", events=["opened"])
    url = reverse("automation:webhook_delete", args=[subscription.public_id])
    client.force_login(alice)
    assert client.post(url).status_code == 404
    client.force_login(admin)
    assert client.post(url).status_code == 302
    assert not WebhookSubscription.objects.exists()
    assert client.post(url).status_code == 404

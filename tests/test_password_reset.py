"""Password reset, once mail is configured: throttled per e-mail address and per client
address, with the same answer whether an account exists, was mailed or was throttled."""

import importlib

import pytest
from django.core import mail
from django.urls import clear_url_caches, reverse

from converse import password_reset
from converse.redis_client import redis_client

DONE = "/accounts/password_reset/done/"


def _reload_urls():
    import converse.urls

    importlib.reload(converse.urls)
    clear_url_caches()


@pytest.fixture(params=["redis", "cache"])
def routed(request, settings):
    """Password reset routed (mail set up), counting in Redis or in Django's cache."""
    if request.param == "cache":
        settings.REDIS_URL = ""
    elif not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: no Redis to count in")
    else:
        redis = redis_client(settings.REDIS_URL)
        for key in redis.scan_iter(f"{password_reset.KEY_PREFIX}*"):
            redis.delete(key)
    settings.PASSWORD_RESET_ENABLED = True
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    settings.PASSWORD_RESET_LIMIT_PER_IP = 4
    _reload_urls()
    yield
    settings.PASSWORD_RESET_ENABLED = False
    _reload_urls()


@pytest.fixture
def alice_mail(alice):
    alice.email = "alice@example.com"
    alice.save()
    return alice.email


def ask(client, email: str, ip: str = "203.0.113.7"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_a_reset_mails_the_link_until_the_address_has_asked_too_often(client, routed, alice_mail):
    for n in range(2):
        response = ask(client, alice_mail, ip=f"198.51.100.{n}")
        assert response.status_code == 302 and response["Location"] == DONE
    assert len(mail.outbox) == 2
    # The third within the hour, from anywhere, in any case: the same answer, no mail.
    response = ask(client, " ALICE@example.com", ip="198.51.100.50")
    assert response.status_code == 302 and response["Location"] == DONE
    assert len(mail.outbox) == 2


def test_one_client_address_cannot_mail_many_users(client, routed, alice, bob, alice_mail):
    bob.email = "bob@example.com"
    bob.save()
    for email in ["nobody@example.com", "x@example.com", "y@example.com", alice_mail]:
        assert ask(client, email)["Location"] == DONE
    assert len(mail.outbox) == 1
    assert ask(client, bob.email)["Location"] == DONE  # the fifth from this address
    assert len(mail.outbox) == 1
    assert ask(client, bob.email, ip="198.51.100.9")["Location"] == DONE
    assert [m.to for m in mail.outbox] == [[alice_mail], [bob.email]]


def test_an_unknown_address_gets_the_same_answer(client, routed, alice_mail):
    known, unknown = ask(client, alice_mail), ask(client, "nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert client.get(DONE).status_code == 200

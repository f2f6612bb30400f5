"""Brute-force protection: failed sign-ins are throttled per account and per address,
passwords chosen by people are checked, and password reset needs mail."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import NoReverseMatch, reverse


def attempt(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def test_an_account_is_locked_after_too_many_failures_even_with_the_right_password(
    client, alice, limit
):
    for n in range(limit - 1):
        assert attempt(client, "alice", f"wrong-{n}", ip=f"198.51.100.{n}").status_code == 200
    assert attempt(client, "alice", "wrong", ip="198.51.100.98").status_code == 429
    locked = attempt(client, "alice", "alice", ip="198.51.100.99")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_after_too_many_failures_on_any_accounts(client, alice, limit):
    for n in range(limit):
        attempt(client, f"someone-{n}", "guess")
    assert attempt(client, "alice", "alice").status_code == 429
    # Another address still signs in.
    assert attempt(Client(), "alice", "alice", ip="192.0.2.1").status_code == 302


def test_an_ipv6_client_is_locked_by_its_64_whatever_address_of_it_it_takes(client, alice, limit):
    for n in range(limit):
        attempt(client, f"someone-{n}", "guess", ip=f"2001:db8:5:7::{n + 1:x}")
    assert attempt(client, "alice", "alice", ip="2001:db8:5:7:ffff::1").status_code == 429
    # The next /64 is another client.
    assert attempt(Client(), "alice", "alice", ip="2001:db8:5:8::1").status_code == 302


def test_a_success_before_the_limit_clears_the_account_failures(client, alice, limit):
    for _ in range(limit - 1):
        attempt(client, "alice", "wrong")
    assert attempt(client, "alice", "alice").status_code == 302
    for _ in range(limit - 1):
        attempt(Client(), "alice", "wrong", ip="192.0.2.2")
    assert attempt(Client(), "alice", "alice", ip="192.0.2.3").status_code == 302


def test_the_test_client_still_signs_in_from_code(client, alice):
    assert client.login(username="alice", password="alice")
    assert client.get(reverse("inbox:my_inbox")).status_code == 200


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, alice, limit, settings):
    settings.BEHIND_PROXY = True
    for _ in range(limit):
        client.post(
            reverse("login"),
            {"username": "x", "password": "y"},
            HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.50",
        )
    spoofed = client.post(
        reverse("login"),
        {"username": "alice", "password": "alice"},
        HTTP_X_FORWARDED_FOR="10.1.1.1, 198.51.100.50",
    )
    assert spoofed.status_code == 429


@pytest.mark.parametrize("password", ["short-pw-1", "password1234", "123456789012"])
def test_weak_passwords_are_refused(db, password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted(db):
    validate_password("quiet-harbour-lantern-42")


def test_password_change_refuses_a_short_password(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": "alice", "new_password1": "tiny", "new_password2": "tiny"},
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("alice")


def test_password_reset_is_not_routed_without_mail(client, db):
    with pytest.raises(NoReverseMatch):
        reverse("password_reset")
    assert client.get("/accounts/password_reset/").status_code == 404

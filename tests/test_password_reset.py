"""Password reset, once mail is configured: throttled per e-mail address and per client
address in a count every process shares, mailed by a worker with a link to PUBLIC_BASE_URL,
with the same answer whether an account exists, was mailed or was throttled."""

import importlib

import pytest
from celery.app.task import Task
from django.core import mail
from django.core.cache import caches
from django.urls import clear_url_caches, reverse
from kombu.exceptions import OperationalError

from converse.shared_cache import file_cache

DONE = "/accounts/password_reset/done/"
SEND = "converse.tasks.send_password_reset_mail"


def _reload_urls():
    import converse.urls

    importlib.reload(converse.urls)
    clear_url_caches()


@pytest.fixture(params=["redis", "files"])
def routed(request, settings, tmp_path):
    """Password reset routed (mail set up), counting in the shared cache on Redis or on
    files, as a deployment has it."""
    if request.param == "redis":
        request.getfixturevalue("shared_cache_on_redis")
    else:
        settings.CACHES = settings.CACHES | {"shared": file_cache(str(tmp_path / "shared"))}
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


@pytest.fixture
def ask(client, tasks, django_capture_on_commit_callbacks):
    """Ask for a reset as a browser does; the worker then runs what the request queued."""

    def ask(email: str, ip: str = "203.0.113.7", *, work: bool = True, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip, **headers
            )
        if work:
            tasks.run_named(SEND)
        return response

    return ask


def test_a_reset_mails_the_link_until_the_address_has_asked_too_often(routed, ask, alice_mail):
    for n in range(2):
        response = ask(alice_mail, ip=f"198.51.100.{n}")
        assert response.status_code == 302 and response["Location"] == DONE
    assert len(mail.outbox) == 2
    # The third within the hour, from anywhere, in any case: the same answer, no mail.
    response = ask(" ALICE@example.com", ip="198.51.100.50")
    assert response.status_code == 302 and response["Location"] == DONE
    assert len(mail.outbox) == 2


def test_one_client_address_cannot_mail_many_users(routed, ask, alice, bob, alice_mail):
    bob.email = "bob@example.com"
    bob.save()
    for email in ["nobody@example.com", "x@example.com", "y@example.com", alice_mail]:
        assert ask(email)["Location"] == DONE
    assert len(mail.outbox) == 1
    assert ask(bob.email)["Location"] == DONE  # the fifth from this address
    assert len(mail.outbox) == 1
    assert ask(bob.email, ip="198.51.100.9")["Location"] == DONE
    assert [m.to for m in mail.outbox] == [[alice_mail], [bob.email]]


def test_an_unknown_address_gets_the_same_answer(client, routed, ask, alice_mail):
    known, unknown = ask(alice_mail), ask("nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert client.get(DONE).status_code == 200


def test_the_request_sends_no_mail_and_does_the_same_for_any_address(
    routed, ask, tasks, alice_mail
):
    """Timing: the request only queues the address typed; the worker looks it up and mails."""
    ask(alice_mail, work=False)
    ask("nobody@example.com", work=False)
    assert mail.outbox == []
    assert [(q.task.name, q.args) for q in tasks.queued] == [
        (SEND, (alice_mail,)),
        (SEND, ("nobody@example.com",)),
    ]
    tasks.run_named(SEND)
    assert [m.to for m in mail.outbox] == [[alice_mail]]


def test_the_link_goes_to_the_public_url_whatever_host_the_request_names(
    routed, ask, settings, alice_mail
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.PUBLIC_BASE_URL = "https://converse.example.com"
    ask(alice_mail, HTTP_HOST="attacker:6666")
    (sent,) = mail.outbox
    assert "https://converse.example.com/accounts/reset/" in sent.body
    assert "attacker" not in sent.body and "attacker" not in sent.subject


def test_the_count_is_shared_by_every_web_process(routed, ask, alice_mail):
    """Each process has its own default cache; emptying ours is what another process sees."""
    for n in range(3):
        caches["default"].clear()
        ask(alice_mail, ip=f"198.51.100.{n}")
    assert len(mail.outbox) == 2


def test_a_broker_outage_answers_the_same_page(routed, ask, monkeypatch, alice_mail):
    def unreachable(*args, **kwargs):
        raise OperationalError("broker down")

    monkeypatch.setattr(Task, "apply_async", unreachable)
    response = ask(alice_mail, work=False)
    assert response.status_code == 302 and response["Location"] == DONE


@pytest.mark.parametrize(
    "variant", ["\u017fam@example.com", "SAM@EXAMPLE.COM ", "s\u0430m@example.com"]
)
def test_an_address_is_counted_as_django_matches_it(settings, variant):
    """Django mails every account whose address equals the one typed once both are NFKC
    normalised and case-folded (a long s is "s" to it, and to PostgreSQL's UPPER): the count
    is kept the same way, or each spelling would get its own limit."""
    from converse.password_reset import reset_allowed

    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    for n in range(2):
        assert reset_allowed(email="sam@example.com", ip=f"203.0.113.{n}")
    allowed = reset_allowed(email=variant, ip="198.51.100.1")
    # A Cyrillic a is another address (Django mails no "sam@"), so it has its own count.
    assert allowed is (variant == "s\u0430m@example.com")

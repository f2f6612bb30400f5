"""Headers every response carries: CSP with our own code only, Permissions-Policy, HSTS over
HTTPS, no-store on private pages; and X-Forwarded-Proto trusted only behind a proxy."""

import re
from pathlib import Path

from django.test import Client, override_settings
from django.urls import reverse

from .conftest import receive

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_page_has_a_csp_that_allows_only_our_own_scripts_and_styles(client, alice):
    client.force_login(alice)
    csp = client.get(reverse("inbox:my_inbox"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp


def test_django_admin_may_style_inline_but_runs_only_our_scripts(client, admin):
    client.force_login(admin)
    csp = client.get("/admin/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["script-src"] == "'self'"


def test_the_login_page_has_the_policies_too(client, db):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


def test_no_template_holds_inline_code_the_csp_would_block():
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\shx-on|\son[a-z]+=|javascript:")
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in TEMPLATES.rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]
    assert found == []


def test_htmx_is_told_not_to_inject_styles_or_eval(client, alice):
    client.force_login(alice)
    page = client.get(reverse("inbox:my_inbox")).content.decode()
    assert '"includeIndicatorStyles":false' in page
    assert '"allowEval":false' in page


def test_private_pages_transcripts_and_media_are_not_stored(client, alice, alice_line):
    conversation = receive(alice_line, "+12025550123", "Hello").conversation
    client.force_login(alice)
    for url in (
        reverse("inbox:my_inbox"),
        reverse("inbox:conversation", args=[conversation.public_id]),
        reverse("inbox:transcript_txt", args=[conversation.public_id]),
    ):
        assert "no-store" in client.get(url)["Cache-Control"], url


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_hsts_is_sent_over_https(client, db):
    assert client.get(reverse("login"), secure=True)["Strict-Transport-Security"] == (
        "max-age=31536000"
    )
    assert "Strict-Transport-Security" not in client.get(reverse("login"))


def test_a_client_cannot_claim_https_unless_we_are_behind_a_proxy(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 300
    claimed = {"headers": {"X-Forwarded-Proto": "https"}}
    assert "Strict-Transport-Security" not in client.get(reverse("login"), **claimed)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert "Strict-Transport-Security" in client.get(reverse("login"), **claimed)


def _has_the_policies(response) -> None:
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


def test_a_request_too_large_is_refused_with_the_policies(client, alice, settings):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:bulk"),
        data=b"",
        content_type="text/plain",
        CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1),
    )
    assert response.status_code == 413
    _has_the_policies(response)


def test_a_request_refused_as_bad_carries_the_policies(client, alice):
    client.force_login(alice)
    response = client.get(reverse("inbox:my_inbox"), {"q": "a\x00b"})
    assert response.status_code == 400
    _has_the_policies(response)


def test_static_files_carry_the_policies(db):
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        response = Client().get("/static/css/converse.css")
        assert response.status_code == 200
        _has_the_policies(response)

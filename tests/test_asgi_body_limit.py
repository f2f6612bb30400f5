"""Under ASGI (uvicorn, as docker-compose.yml and ``make run`` serve it) a body over its
limit is never received: Django's handler would copy it whole to a temporary file before
any middleware could refuse it, so a few large requests could fill the disk."""

import asyncio

import pytest

from converse.asgi import application

MB = 1024 * 1024

pytestmark = pytest.mark.django_db(transaction=True)


def post(path: str, headers: list[tuple[bytes, bytes]], chunks: int = 60):
    """POST ``chunks`` megabytes to ``path``; return the status and the megabytes received."""
    received = 0
    answer = {}

    async def receive():
        nonlocal received
        if received == chunks:
            await asyncio.Event().wait()  # the client waits for its answer
        received += 1
        return {"type": "http.request", "body": b"x" * MB, "more_body": received < chunks}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {name.lower(): value for name, value in message["headers"]}

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(application(scope, receive, send))
    return answer["status"], received, answer["headers"]


def test_a_body_declared_too_large_is_refused_without_being_received():
    status, received, headers = post("/webchat/anything/files", [(b"content-length", b"62914560")])
    assert status == 413
    assert received == 0
    assert b"content-security-policy" in headers


def test_a_body_without_a_length_is_refused_before_any_of_it_is_received():
    status, received, _ = post("/webchat/anything/files", [(b"transfer-encoding", b"chunked")])
    assert status == 411
    assert received == 0


def test_the_contacts_import_keeps_its_larger_limit(settings):
    from django.urls import reverse

    path = reverse("inbox:contacts_import")
    size = settings.CONTACT_IMPORT_MAX_BYTES // MB  # within its limit
    status, received, _ = post(path, [(b"content-length", str(size * MB).encode())], chunks=size)
    assert received == size  # received whole, then answered (here: by the CSRF check)
    assert status == 403

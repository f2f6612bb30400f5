"""The ASGI application: every page as under WSGI, plus the live streams (``/live/stream/``,
and a web-chat visitor's ``/webchat/<key>/stream``), which hold one connection per open tab
without holding a thread."""

import asyncio
import os
import re
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise answers static files with a file iterator, which Django's ASGI handler reads in
# a thread and warns about for every file; the files are small and cached by browsers.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "converse.settings")
django_application = get_asgi_application()

from converse.security import body_limit  # noqa: E402  (settings first, as for Django's app)

STREAM_PATH = "/live/stream/"
# A web-chat visitor's stream: /webchat/<website key>/stream.
VISITOR_STREAM = re.compile(r"/webchat/[^/]+/stream")
# Streams opening at once (every tab reconnecting after a restart) take their turn: each
# needs a database connection until its first answer (session, user, where it resumes).
CONNECTING_AT_ONCE = int(os.environ.get("LIVE_CONNECTING_AT_ONCE", "8"))
_connecting = None


def _no_body():
    """A receive that gives Django an empty body and then nothing more: the 413 answered
    from the declared length ends the request (Django stops listening once it is sent)."""
    given = False

    async def receive():
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    return receive


async def _length_required(send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 411,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-security-policy", b"default-src 'none'"),
                (b"x-content-type-options", b"nosniff"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"A request body needs its length.\n"})


async def bounded_body(scope, receive, send):
    """Django, receiving no body over its limit: Django's handler would otherwise copy the
    whole body to a temporary file before any middleware could refuse it. A body declared
    too large is not received (the size middleware answers 413 from the declared length);
    one sent without a length (chunked) is refused with 411 before any of it is read."""
    if scope["type"] == "http":
        headers = dict(scope.get("headers") or ())
        if b"transfer-encoding" in headers:
            return await _length_required(send)
        try:
            declared = int(headers.get(b"content-length") or 0)
        except ValueError:
            declared = 0
        if declared > body_limit(scope["path"]):
            receive = _no_body()
    return await django_application(scope, receive, send)


def _is_stream(path: str) -> bool:
    return path == STREAM_PATH or VISITOR_STREAM.fullmatch(path) is not None


async def application(scope, receive, send):
    """Django (``bounded_body``), with the live streams' opening bounded to
    ``CONNECTING_AT_ONCE`` at a time per process; once its answer has started, a stream
    holds no turn (nor connection)."""
    global _connecting
    if scope["type"] != "http" or not _is_stream(scope["path"]):
        return await bounded_body(scope, receive, send)
    if _connecting is None:
        _connecting = asyncio.Semaphore(CONNECTING_AT_ONCE)
    turn = _connecting
    await turn.acquire()
    held = True

    async def answer(message):
        nonlocal held
        if held and message["type"] == "http.response.start":
            held = False
            turn.release()
        await send(message)

    try:
        await django_application(scope, receive, answer)
    finally:
        if held:
            turn.release()

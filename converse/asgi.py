"""The ASGI application: every page as under WSGI, plus the live stream (``/live/stream/``),
which holds one connection per open tab without holding a thread."""

import asyncio
import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise answers static files with a file iterator, which Django's ASGI handler reads in
# a thread and warns about for every file; the files are small and cached by browsers.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "converse.settings")
django_application = get_asgi_application()

STREAM_PATH = "/live/stream/"
# Streams opening at once (every tab reconnecting after a restart) take their turn: each
# needs a database connection until its first answer (session, user, where it resumes).
CONNECTING_AT_ONCE = int(os.environ.get("LIVE_CONNECTING_AT_ONCE", "8"))
_connecting = None


async def application(scope, receive, send):
    """Django, with the live stream's opening bounded to ``CONNECTING_AT_ONCE`` at a time
    per process; once its answer has started, a stream holds no turn (nor connection)."""
    global _connecting
    if scope["type"] != "http" or scope["path"] != STREAM_PATH:
        return await django_application(scope, receive, send)
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

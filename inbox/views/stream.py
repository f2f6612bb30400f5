"""The live stream (server-sent events): one per open tab, under an ASGI server.

The page opens ``/live/stream/``; the browser sends ``Last-Event-ID`` by itself when it
reconnects (a page that opens it afresh after a stall sends ``?after=``). The stream first
replays what was recorded after that id (what a dropped connection or a restarted server
missed), then sends what happens, as it happens: each message carries the id of the last
event it sums up (``id:``), their kinds and the conversations' public ids. Only what the
user may see is sent (``inbox.access.live_visible_ids``). A tab further behind than the
log keeps gets ``reset`` and refreshes everything. While idle the stream sends ``ping`` now
and then (no query): a page that stops hearing it polls, and opens the stream again.
Under WSGI, which cannot hold a stream, it answers 204: the browser then stops asking and
the page keeps polling ``/live/``. Signed out, it redirects to the login page like every
view (the browser then gives up on the stream; the next poll takes the page there).
"""

import asyncio
import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from .. import live_hub
from ..live_events import Event, events_after, oldest_kept
from ..models import User
from ..pure.params import param_int

RETRY_MS = 2000
BACKLOG_LIMIT = 5000


def sse(*, event: str, data: dict, id: int | None = None) -> str:
    lines = [f"id: {id}"] if id is not None else []
    lines += [f"event: {event}", f"data: {json.dumps(data, separators=(',', ':'))}"]
    return "\n".join(lines) + "\n\n"


def summary(events: list[Event]) -> dict:
    """What the page needs to know of some events: which kinds, in which conversations."""
    summed = {
        "k": sorted({e.kind for e in events}),
        "c": sorted({e.data["c"] for e in events if e.data.get("c")}),
    }
    if labels := sorted({e.data["label"] for e in events if e.data.get("label")}):
        summed["labels"] = labels  # the filters offer a new one at once
    if campaigns := sorted({e.data["campaign"] for e in events if e.data.get("campaign")}):
        summed["campaigns"] = campaigns  # their pages draw their figures again
    return summed


def _backlog(after: int | None, head: int) -> tuple[list[Event], bool, int]:
    """The events after ``after``, whether some are gone (too old, or an id from another
    log), and the position the stream then stands at (never behind ``head``)."""
    if after is None or after == head:
        return [], False, head
    if after > head:
        return [], True, head
    backlog = events_after(after, limit=BACKLOG_LIMIT)
    oldest = oldest_kept()
    missed = oldest is None or after + 1 < oldest or len(backlog) == BACKLOG_LIMIT
    if missed:
        return [], True, max([head, *(e.id for e in backlog)])
    return backlog, False, max(head, backlog[-1].id if backlog else head)


@require_GET
@login_required
async def live_stream(request: HttpRequest) -> HttpResponse:
    if not isinstance(request, ASGIRequest):
        return HttpResponse(status=204)
    user = await request.auser()
    after = param_int(request.headers.get("Last-Event-ID"))
    if after is None:
        after = param_int(request.GET.get("after"))
    hub = live_hub.hub()
    queue = await hub.subscribe()
    try:
        backlog, missed, position = await sync_to_async(_backlog, thread_sensitive=False)(
            after, hub.last_id or 0
        )
        # The stream holds no database connection while it waits (what it asks later runs
        # on the process's shared threads).
        await sync_to_async(connections.close_all)()
    except BaseException:
        hub.unsubscribe(queue)
        raise
    response = StreamingHttpResponse(
        _events(user, hub, queue, backlog=backlog, missed=missed, position=position),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache, no-transform"
    # nginx: pass each message on at once instead of buffering the answer.
    response["X-Accel-Buffering"] = "no"
    return response


async def _events(
    user: User,
    hub: live_hub.Hub,
    queue: asyncio.Queue,
    *,
    backlog: list[Event],
    missed: bool,
    position: int,
) -> AsyncIterator[str]:
    sent = position
    live_hub.request_thread_release()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        if missed:
            yield sse(event="reset", data={}, id=sent)
        elif backlog and (shown := await live_hub.Batch(backlog).visible_to(user)):
            yield sse(event="change", data=summary(shown), id=sent)
        yield sse(event="ready", data={"keepalive": settings.LIVE_KEEPALIVE_SECONDS}, id=sent)
        async for batch in live_hub.batches(queue, settings.LIVE_KEEPALIVE_SECONDS):
            if batch is None:
                yield sse(event="ping", data={})
                continue
            if any(e.id is not None and e.id <= sent for e in batch.events):
                # Already sent from the backlog (read while this batch was on its way).
                batch = live_hub.Batch([e for e in batch.events if e.id is None or e.id > sent])
            if not batch.events:
                continue
            shown = await batch.visible_to(user)
            stored = [e.id for e in batch.events if e.id is not None]
            sent = max([sent, *stored])
            for signal in (e for e in shown if e.id is None):
                yield sse(event=signal.kind, data=summary([signal]))
            if changes := [e for e in shown if e.id is not None]:
                yield sse(event="change", data=summary(changes), id=sent)
            elif stored:
                # Nothing this user may see, but a resume starts after it.
                yield f"id: {sent}\n\n"
    finally:
        hub.unsubscribe(queue)

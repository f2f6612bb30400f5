"""A visitor's live stream (server-sent events, under an ASGI server): the frame holds it
instead of asking for news every few seconds.

It is opened as the widget's other endpoints are called (``views.visitor_checked``: a page of
the website's origins, the per-address limit, the visitor's bearer token; the frame reads it
with ``fetch``, so the token never is in an address), at most ``WEBCHAT_RATE_STREAM`` times
per visitor and ``STREAMS_PER_VISITOR`` at once per visitor and web process. It follows, on
the process's live hub (``inbox.live_hub``), the visitor's conversation and a topic of the
visitor's own (``visitors.visitor_topic``: their first message names the conversation it
opened; their other tabs' read marks), nothing else: another visitor's conversation never
reaches it. It sends ``change`` (with the kinds) when what the widget shows may have changed
(a reply reaching the visitor, an agent typing, a read mark, the visitor's own message from
another tab) and the frame asks ``state`` once; a private note, an assignment, a label do
not wake it. It sends ``ready`` once it follows, and the frame asks ``state`` then too: what
happened while it was away (a drop, a restart) is never missed, since the state is the
source of truth and the stream only says when to ask. While idle it holds no thread (its
request's own is let go, ``live_hub.request_thread_release``) and no database connection,
and sends ``ping`` every ``LIVE_KEEPALIVE_SECONDS``.

A held stream keeps its visitor online (``presence.is_online``): each web process marks the
visitors it holds in the shared cache every ``HELD_MARK_SECONDS``, in one write for them all;
when a visitor's last stream closes, their ``last_seen_at`` says so. Under WSGI, which cannot
hold a stream, it answers 204 and the frame asks every few seconds instead.
"""

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from inbox import live_hub
from inbox.live_events import Event

from .models import Visitor
from .presence import held_mark, held_unmark
from .views import _error, _limited, _website, visitor_checked, visitor_reported_seen
from .visitors import conversation_of, visitor_topic

log = logging.getLogger(__name__)

RETRY_MS = 2000
STREAMS_PER_VISITOR = 10
# What may change what the widget shows; anything else of the conversation (a private
# note, an assignment, a label) does not wake the visitor's frame.
SHOWN_KINDS = frozenset({"message_in", "message_status", "attachment", "presence", "read", "chat"})


def held_mark_seconds() -> float:
    """How often a process marks its held visitors online: thrice within their time."""
    return settings.WEBCHAT_ONLINE_SECONDS / 3


@dataclass(frozen=True)
class Opened:
    visitor_id: int
    address: str
    conversation_id: int | None


def _open(request: HttpRequest, key: str) -> Opened | JsonResponse:
    """The checks of every visitor endpoint and this one's limit; the visitor is seen."""
    try:
        visitor = visitor_checked(request, _website(key))
        if isinstance(visitor, HttpResponse):
            return visitor

        def by_visitor(group: str, request: HttpRequest) -> str:
            return visitor.address

        if _limited(request, "stream", settings.WEBCHAT_RATE_STREAM, by_visitor):
            return _error("Too many reconnections: the chat asks for news instead.", 429)
        visitor_reported_seen(request, visitor)
        conversation = conversation_of(visitor)
        return Opened(visitor.pk, visitor.address, conversation and conversation.pk)
    finally:
        # The stream holds no database connection while it waits.
        connections.close_all()


class Held:
    """The visitors whose streams this process holds (one per event loop), marked online in
    the shared cache all at once every ``held_mark_seconds``."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.task: asyncio.Task | None = None
        self.leaving: set[asyncio.Task] = set()
        # One write at a time, marks or a leaving: a mark being written when a visitor's
        # last stream closed, which names them, is written before their leaving is.
        self.writing = asyncio.Lock()

    def add(self, address: str) -> None:
        self.counts[address] += 1
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._mark())

    def remove(self, visitor_id: int, address: str) -> None:
        if self.counts[address] > 1:
            self.counts[address] -= 1
            return
        # Their last stream here closed: last active now, and held no more once that is
        # written (not awaited by the stream, which has ended).
        try:
            task = asyncio.get_running_loop().create_task(self._leave(visitor_id, address))
        except RuntimeError:  # the loop is closing
            self._let_go(address)
            return
        self.leaving.add(task)
        task.add_done_callback(self.leaving.discard)

    async def _leave(self, visitor_id: int, address: str) -> None:
        async with self.writing:
            try:
                await sync_to_async(_left, thread_sensitive=False)(visitor_id, address)
            finally:
                self._let_go(address)

    def _let_go(self, address: str) -> None:
        self.counts[address] -= 1
        if self.counts[address] <= 0:
            del self.counts[address]

    async def _mark(self) -> None:
        while self.counts:
            async with self.writing:
                await sync_to_async(held_mark, thread_sensitive=False)(list(self.counts))
            await asyncio.sleep(held_mark_seconds())


def _left(visitor_id: int, address: str) -> None:
    """Last active now, and no longer marked as held (a mark outlived its stream by up to
    ``WEBCHAT_ONLINE_SECONDS``)."""
    try:
        Visitor.objects.filter(pk=visitor_id).update(last_seen_at=timezone.now())
    except Exception:  # the database is away: "last active" stays when they came
        log.exception("web-chat visitor's leaving not recorded")
    held_unmark(address)


_held: dict[asyncio.AbstractEventLoop, Held] = {}


def held() -> Held:
    """This event loop's held visitors."""
    loop = asyncio.get_running_loop()
    if loop not in _held:
        _held[loop] = Held()
    return _held[loop]


def sse(*, event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@require_GET
async def stream(request: HttpRequest, key: str) -> HttpResponse:
    if not isinstance(request, ASGIRequest):
        return HttpResponse(status=204)
    opened = await sync_to_async(_open)(request, key)
    if isinstance(opened, HttpResponse):
        return opened
    if held().counts[opened.address] >= STREAMS_PER_VISITOR:
        return _error("Too many chats open at once: the chat asks for news instead.", 429)
    response = StreamingHttpResponse(_events(opened), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    # nginx: pass each message on at once instead of buffering the answer.
    response["X-Accel-Buffering"] = "no"
    return response


def shown_kinds(events: list[Event]) -> set[str]:
    """The kinds of ``events`` that may change what the visitor's widget shows."""
    return {
        e.kind
        for e in events
        if e.kind in SHOWN_KINDS and not (e.kind == "presence" and e.data.get("by") == "visitor")
    }


async def _events(opened: Opened) -> AsyncIterator[str]:
    topic = visitor_topic(opened.visitor_id)
    followed = {opened.conversation_id}
    keepalive = settings.LIVE_KEEPALIVE_SECONDS
    # Subscribed here, once the answer is being sent: a visitor gone before it started
    # leaves nothing behind. "ready" comes after, and the frame's state ask after that.
    live_hub.request_thread_release()
    hub, visitors = live_hub.hub(), held()
    queue = await hub.subscribe(topics=[topic, *followed - {None}])
    visitors.add(opened.address)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        yield sse(event="ready", data={"keepalive": keepalive})
        async for batch in live_hub.batches(queue, keepalive):
            if batch is None:
                yield sse(event="ping", data={})
                continue
            for event in batch.events:
                # Their first message opened a conversation: follow it from now on.
                opened_one = event.conversation_id is not None and event.data.get("to") == topic
                if opened_one and event.conversation_id not in followed:
                    followed.add(event.conversation_id)
                    hub.follow(queue, event.conversation_id)
            if kinds := shown_kinds(batch.events):
                yield sse(event="change", data={"k": sorted(kinds)})
    finally:
        hub.unsubscribe(queue)
        visitors.remove(opened.visitor_id, opened.address)

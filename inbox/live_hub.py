"""Each web process's one reader of the live log, and its fan-out to the open streams.

One ``Hub`` per event loop (an ASGI server runs one per process). While at least one stream
is open it reads the log (``inbox.live_events``) after the last id it has seen: when Redis
says something was recorded (``REDIS_URL``), or every ``LIVE_READ_INTERVAL_MS`` without
Redis, and every few seconds in any case (a missed Redis message costs a delay, never an
event). What it reads goes to every stream as one ``Batch``; each stream keeps what its user
may see (``Batch.visible_to``: one visibility check per user and batch, however many tabs
that user has open).

Waits with a limit use ``asyncio.timeout``, never ``asyncio.wait_for``: under Python 3.11 the
latter turns a cancellation that arrives as its time runs out into a ``TimeoutError``, and a
reader or stream told to stop (a closing server, a browser gone) would carry on.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Hashable, Iterable
from dataclasses import dataclass, field

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings

from .access import live_visible_ids
from .live_events import CHANNEL, Event, events_after, head
from .models import User

log = logging.getLogger(__name__)

# With Redis the reader also reads on its own this often, in case a message was missed.
SAFETY_READ_SECONDS = 5.0


@dataclass
class Batch:
    events: list[Event]
    _visible: dict[int, asyncio.Future] = field(default_factory=dict)

    async def visible_to(self, user: User) -> list[Event]:
        """The events of this batch ``user`` may see (the rules of ``inbox.access``)."""
        if user.pk not in self._visible:
            future = asyncio.get_running_loop().create_future()
            self._visible[user.pk] = future
            try:
                future.set_result(await _visible(user, self.events))
            except Exception as error:
                future.set_exception(error)
                raise
        return await asyncio.shield(self._visible[user.pk])


async def _visible(user: User, events: list[Event]) -> list[Event]:
    mine = [
        e
        for e in events
        if e.user_id is None or e.user_id == user.pk or (user.is_admin and e.data.get("admins"))
    ]
    ids = {e.conversation_id for e in mine if e.conversation_id is not None}
    if not ids:
        return mine
    seen = await sync_to_async(live_visible_ids, thread_sensitive=False)(user, ids)
    return [e for e in mine if e.conversation_id is None or e.conversation_id in seen]


def topics_of(event: Event) -> list[Hashable]:
    """The topics ``event`` is routed to: its conversation's id, and the topic it is sent
    ``to`` (a signal's)."""
    topics: list[Hashable] = []
    if event.conversation_id is not None:
        topics.append(event.conversation_id)
    if (to := event.data.get("to")) is not None:
        topics.append(to)
    return topics


class Hub:
    def __init__(self) -> None:
        # Every stream's queue; the agents' hear every batch (``everything``), the others
        # only what they follow (``followers``: topic → queues, ``followed``: the reverse).
        self.queues: set[asyncio.Queue] = set()
        self.everything: set[asyncio.Queue] = set()
        self.followers: dict[Hashable, set[asyncio.Queue]] = {}
        self.followed: dict[asyncio.Queue, set[Hashable]] = {}
        self.last_id: int | None = None
        self.woken = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def subscribe(self, *, topics: Iterable[Hashable] | None = None) -> asyncio.Queue:
        """A queue of batches from now on. Every event recorded after this returns reaches
        it; a stream that reads its backlog afterwards may see some twice (skip by id).
        With ``topics``, only the events of those (``topics_of``), and of any it ``follow``s
        later; without, every event (the agents' streams, which check what their user may
        see)."""
        async with self.lock:
            if self.last_id is None:
                self.last_id = await sync_to_async(head, thread_sensitive=False)()
            queue: asyncio.Queue = asyncio.Queue()
            self.queues.add(queue)
            if topics is None:
                self.everything.add(queue)
            else:
                self.followed[queue] = set()
                for topic in topics:
                    self.follow(queue, topic)
            if self.task is None or self.task.done():
                self.task = asyncio.get_running_loop().create_task(self._run())
        return queue

    def follow(self, queue: asyncio.Queue, topic: Hashable) -> None:
        """``queue`` (subscribed with topics) also hears of ``topic`` from now on."""
        self.followed[queue].add(topic)
        self.followers.setdefault(topic, set()).add(queue)

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.queues.discard(queue)
        self.everything.discard(queue)
        for topic in self.followed.pop(queue, ()):
            followers = self.followers.get(topic)
            if followers is not None:
                followers.discard(queue)
                if not followers:
                    del self.followers[topic]
        if not self.queues:
            self.woken.set()

    def disconnect_all(self) -> None:
        """End every open stream (as a restart would): each browser reconnects by itself
        and resumes from its ``Last-Event-ID``."""
        for queue in self.queues:
            queue.put_nowait(None)

    def on_message(self, message: dict) -> None:
        if "signal" in message:
            s = message["signal"]
            event = Event(None, s["kind"], s.get("conversation_id"), None, s["data"])
            # A signal sent to a topic is for its followers only.
            self._fan_out(Batch([event]), everyone="to" not in s["data"])
        else:
            self.woken.set()

    def _fan_out(self, batch: Batch, *, everyone: bool = True) -> None:
        if everyone:
            for queue in self.everything:
                queue.put_nowait(batch)
        if not self.followers:
            return
        routed: dict[asyncio.Queue, list[Event]] = {}
        for event in batch.events:
            for topic in topics_of(event):
                for queue in self.followers.get(topic, ()):
                    events = routed.setdefault(queue, [])
                    if not events or events[-1] is not event:  # one event twice: once
                        events.append(event)
        for queue, events in routed.items():
            queue.put_nowait(Batch(events))

    async def _run(self) -> None:
        listener = None
        if settings.REDIS_URL:
            listener = asyncio.get_running_loop().create_task(self._listen())
            interval = SAFETY_READ_SECONDS
        else:
            interval = settings.LIVE_READ_INTERVAL_MS / 1000
        try:
            while self.queues:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(interval):
                        await self.woken.wait()
                self.woken.clear()
                if self.queues:
                    await self._read()
        finally:
            if listener is not None:
                listener.cancel()
            # Started afresh by the next stream, from the log's head then.
            self.last_id = None

    async def _read(self) -> None:
        try:
            while True:
                events = await sync_to_async(events_after, thread_sensitive=False)(self.last_id)
                if not events:
                    return
                self.last_id = events[-1].id
                self._fan_out(Batch(events))
        except Exception:
            log.exception("live log not read; trying again")

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.woken.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self.on_message(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("live events: Redis unavailable (%s); reading on a timer", error)
                await asyncio.sleep(1)
            finally:
                await client.aclose()


def request_thread_release() -> None:
    """Let the thread of the request being answered end, once a stream's answer has begun.

    Django's ASGI handler runs a request's synchronous work (its middleware, which is not
    async) on a thread of the request's own, kept until the answer ends: each idle stream
    would keep one. Called from a stream's first step (every middleware has run by then, and
    what the stream asks later runs on the process's shared threads), it shuts that thread
    down; what the request runs synchronously at its very end (closing the answer) gets a
    thread of its own then, for that moment only."""
    context = SyncToAsync.thread_sensitive_context.get(None)
    if context is None:
        return
    executor = SyncToAsync.context_to_thread_executor.pop(context, None)
    if executor is not None:
        executor.shutdown(wait=False)


async def batches(queue: asyncio.Queue, keepalive: float) -> AsyncIterator[Batch | None]:
    """A stream's batches as they reach its ``queue``, and None after each ``keepalive``
    seconds without one (time for the stream's ping); ends when the server lets go of its
    streams (``Hub.disconnect_all``)."""
    while True:
        try:
            async with asyncio.timeout(keepalive):
                batch = await queue.get()
        except TimeoutError:
            yield None
            continue
        if batch is None:
            return
        yield batch


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """This event loop's hub."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]


def deliver(message: dict) -> None:
    """Hand ``message`` to the hubs of this process, from any thread (no Redis: the one
    web process of ``make run`` learns of its own events at once)."""
    for loop, each in list(_hubs.items()):
        if loop.is_closed():
            _hubs.pop(loop, None)
            continue
        loop.call_soon_threadsafe(each.on_message, message)


def disconnect_all() -> None:
    """End every stream of this process, from any thread (the tests' server restart)."""
    for loop, each in list(_hubs.items()):
        if not loop.is_closed():
            loop.call_soon_threadsafe(each.disconnect_all)

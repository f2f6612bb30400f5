"""The live stream's log: what happened, recorded once it committed, in commit order.

Services call ``event_record`` inside their transaction; the row is written when that
transaction commits (never for a rolled-back change), in a short transaction of its own
that takes one lock on PostgreSQL, so ids rise in commit order and a reader that asks for
``id > last`` never skips a row committing late. SQLite writes one at a time anyway.

Each web process reads the log with one shared reader (``inbox.live_hub``): it is woken by
Redis (``PUBLISH``) when ``REDIS_URL`` is set, so events cross processes and hosts at once;
without Redis (``make run``) it reads the database a few times a second, one small query
per process however many tabs are open. Presence and typing are signals, never stored:
through Redis between processes, else within the one web process.

The log is bounded: ``LIVE_EVENTS_KEPT`` rows, enough for a tab that lost its connection
(or a restarted server) to resume from its ``Last-Event-ID``; a tab further behind is told
to refresh everything (``reset``).
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from converse.redis_client import redis_client

from .models import Conversation, LiveEvent

log = logging.getLogger(__name__)

CHANNEL = "converse:live"
# Any constant: serialises the log's writers on PostgreSQL (pg_advisory_xact_lock).
LOCK_KEY = 0x6C697665
PRUNE_EVERY = 200


@dataclass(frozen=True)
class Event:
    """What a stream sends: ``id`` is None for a signal (presence, typing). With a
    ``user_id``, only that user hears it, and the admins too when ``data["admins"]``."""

    id: int | None
    kind: str
    conversation_id: int | None = None
    user_id: int | None = None
    data: dict = field(default_factory=dict)

    @classmethod
    def of(cls, row: LiveEvent) -> "Event":
        return cls(row.pk, row.kind, row.conversation_id, row.user_id, row.data)


def event_record(
    *,
    kind: str,
    conversations: Iterable[Conversation | int] = (),
    user_id: int | None = None,
    data: dict | None = None,
) -> None:
    """Record ``kind`` (once per conversation given, or once with none) when the current
    transaction commits; at once outside a transaction. Never raises to the caller: a
    live event lost to an error is logged, and the page's version catches up anyway."""
    targets = [
        (c.pk, c.public_id) if isinstance(c, Conversation) else (c, None) for c in conversations
    ]
    transaction.on_commit(
        lambda: _write(kind=kind, targets=targets, user_id=user_id, data=data or {}),
        robust=True,
    )


def _write(*, kind: str, targets: list[tuple[int, str | None]], user_id: int | None, data: dict):
    unnamed = [pk for pk, public_id in targets if public_id is None]
    if unnamed:
        names = dict(Conversation.objects.filter(pk__in=unnamed).values_list("pk", "public_id"))
        targets = [(pk, public_id or names.get(pk)) for pk, public_id in targets]
    now = timezone.now()
    rows = [
        LiveEvent(
            created_at=now,
            kind=kind,
            conversation_id=pk,
            user_id=user_id,
            data={**data, "c": public_id} if public_id else data,
        )
        for pk, public_id in targets or [(None, None)]
    ]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        LiveEvent.objects.bulk_create(rows)
    last = max(row.pk for row in rows)
    if any(row.pk % PRUNE_EVERY == 0 for row in rows):
        LiveEvent.objects.filter(pk__lte=last - settings.LIVE_EVENTS_KEPT).delete()
    _announce({"id": last})


def signal(
    *,
    kind: str,
    conversation: Conversation | None = None,
    data: dict | None = None,
    to: str | None = None,
) -> None:
    """Tell the streams now, without storing it: presence and typing. With ``to``, only
    the streams following that topic hear it (a web-chat visitor's, ``inbox.live_hub``),
    never the agents'."""
    data = dict(data or {})
    if conversation is not None:
        data["c"] = conversation.public_id
    if to is not None:
        data["to"] = to
    event = {"kind": kind, "conversation_id": conversation and conversation.pk, "data": data}
    _announce({"signal": event})


def _announce(message: dict) -> None:
    """Wake every web process's reader: through Redis when set, else this process's."""
    from . import live_hub

    if settings.REDIS_URL:
        import redis

        try:
            redis_client(settings.REDIS_URL).publish(CHANNEL, json.dumps(message))
            return
        except redis.RedisError as error:
            # The readers still read the log on their own every few seconds.
            log.warning("live events not announced: %s", error)
    live_hub.deliver(message)


def events_after(last_id: int, *, limit: int = 500) -> list[Event]:
    """The kept events after ``last_id``, oldest first."""
    rows = LiveEvent.objects.filter(pk__gt=last_id).order_by("pk")[:limit]
    return [Event.of(row) for row in rows]


def head() -> int:
    """The id of the newest event (0 when there is none): where a new page starts."""
    return LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def oldest_kept() -> int | None:
    return LiveEvent.objects.order_by("pk").values_list("pk", flat=True).first()

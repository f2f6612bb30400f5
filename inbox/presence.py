"""Who else has a conversation open, and who is typing in it (F-CO1).

Each open conversation window reports every ``PRESENCE_BEAT_SECONDS`` (and at once when
its agent starts or stops typing). Presence lives only in memory with a short expiry,
never in the database: in Redis when ``REDIS_URL`` is set, so every web process sees the
same viewers (one hash per conversation, one field per viewer, so two viewers' beats
never overwrite each other), else in Django's cache (``make run`` has one web process).
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from converse.redis_client import redis_client

PRESENCE_BEAT_SECONDS = 5
# A viewer not heard from for this long has closed the window (or lost the network).
GONE_AFTER_SECONDS = 3 * PRESENCE_BEAT_SECONDS
# A tab on the live stream beats this rarely: others' changes reach it by push, and a
# closed window says so at once (only a crashed one lingers, for three beats).
STREAM_BEAT_SECONDS = 120
# Typing shows this long after the last keystroke report.
TYPING_SECONDS = 8
KEY_PREFIX = "converse:presence:"

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    typing: bool


def _redis():
    return redis_client(settings.REDIS_URL)


def _best_effort(call: Callable[[], T], fallback: T) -> T:
    """Presence is a hint: with Redis unreachable the window works on without it."""
    import redis

    try:
        return call()
    except redis.RedisError as error:
        log.warning("presence unavailable: %s", error)
        return fallback


def _key(conversation_id: int) -> str:
    return f"{KEY_PREFIX}{conversation_id}"


def _entries(conversation_id: int) -> dict[int, dict]:
    if settings.REDIS_URL:
        raw = _best_effort(lambda: _redis().hgetall(_key(conversation_id)), {})
        return {int(k): json.loads(v) for k, v in raw.items()}
    return cache.get(_key(conversation_id)) or {}


def presence_beat(
    *,
    conversation_id: int,
    user_id: int,
    name: str,
    typing: bool,
    every: int | None = None,
    typing_only: bool = False,
) -> bool:
    """``user_id`` has the conversation open (and is typing, or not) now, and beats again
    within ``every`` seconds (``PRESENCE_BEAT_SECONDS`` by default; a tab on the live
    stream beats rarely, told by push when to look). Returns whether what others see
    changed (a new viewer, typing started or stopped): the caller tells them by push.

    ``typing_only``: someone shown only while typing (a web-chat visitor, whose ``user_id``
    is below zero so that it is never an agent's): gone when their typing fades."""
    now = time.time()
    every = every or PRESENCE_BEAT_SECONDS
    keep = TYPING_SECONDS if typing_only else max(GONE_AFTER_SECONDS, 3 * every)
    entry = {
        "name": name,
        "seen": now,
        "gone_at": now + keep,
        "typing_until": now + TYPING_SECONDS if typing else 0,
    }
    key = _key(conversation_id)
    if settings.REDIS_URL:
        pipe = _redis().pipeline()
        pipe.hget(key, str(user_id))
        pipe.hset(key, str(user_id), json.dumps(entry))
        # The hash outlives its slowest beater (each entry says when it is gone).
        pipe.expire(key, max(keep, 3 * STREAM_BEAT_SECONDS))
        replies = _best_effort(pipe.execute, None)
        before = json.loads(replies[0]) if replies and replies[0] else None
        return _changed(before, entry, now)
    entries = {k: v for k, v in _entries(conversation_id).items() if _present(v, now)}
    before = entries.get(user_id)
    entries[user_id] = entry
    cache.set(key, entries, max([keep, *(v["gone_at"] - now for v in entries.values())]))
    return _changed(before, entry, now)


def _present(entry: dict, now: float) -> bool:
    return entry.get("gone_at", entry["seen"] + GONE_AFTER_SECONDS) > now


def _changed(before: dict | None, after: dict, now: float) -> bool:
    if before is None or not _present(before, now):
        return True
    return (before["typing_until"] > now) != (after["typing_until"] > now)


def presence_leave(*, conversation_id: int, user_id: int) -> None:
    """``user_id`` closed the conversation window."""
    key = _key(conversation_id)
    if settings.REDIS_URL:
        _best_effort(lambda: _redis().hdel(key, str(user_id)), None)
        return
    entries = _entries(conversation_id)
    if entries.pop(user_id, None) is not None:
        now = time.time()
        keep = max([GONE_AFTER_SECONDS, *(v.get("gone_at", now) - now for v in entries.values())])
        cache.set(key, entries, keep)


def viewers(*, conversation_id: int, besides: int) -> list[Viewer]:
    """Who else (not ``besides``) has the conversation open now, by name."""
    now = time.time()
    found = [
        Viewer(user_id, entry["name"], entry["typing_until"] > now)
        for user_id, entry in _entries(conversation_id).items()
        if user_id != besides and _present(entry, now)
    ]
    return sorted(found, key=lambda v: v.name)


def describe(others: list[Viewer]) -> str:
    """ "Bob is typing… · Carol is viewing": what the window header says."""
    typing = [v.name for v in others if v.typing]
    viewing = [v.name for v in others if not v.typing]
    parts = []
    if typing:
        parts.append(f"{_names(typing)} {'is' if len(typing) == 1 else 'are'} typing…")
    if viewing:
        parts.append(f"{_names(viewing)} {'is' if len(viewing) == 1 else 'are'} viewing")
    return " · ".join(parts)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

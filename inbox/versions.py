"""What pages know about change: every write that a page shows stamps ``changed_at``.

The live poll compares these stamps with the version a page carries, and a user's kept
unread counts follow the conversations stamped since (``selectors.unread_tally``). The
Team Inbox's unread count per agent, which reads the whole table, is cached under a key
made of the newest stamp and everything else it is counted from (the agents and when their
read marks last changed). A key is never deleted: after any change the next page asks for
a new key, and the old entry ages out of the cache.
"""

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from .models import Conversation

# A transaction stamps changed_at when it writes and becomes visible when it commits: a
# stamp younger than this may still have older stamps committing behind it.
COMMIT_SLACK = timedelta(seconds=1)
CACHE_SECONDS = 600

T = TypeVar("T")


def conversations_changed_at() -> datetime | None:
    """The newest change to any conversation (one probe of the ``changed_at`` index)."""
    return Conversation.objects.aggregate(latest=Max("changed_at"))["latest"]


@dataclass(frozen=True)
class CountsVersion:
    """Names the state some unread counts are counted from.

    ``keep_seconds`` is 0 while the newest change is younger than the commit slack: an
    older change may not be visible yet, so nothing counted (or drawn) from it is kept.
    Templates cache fragments drawn from the counts under the same key and time.
    """

    key: str
    keep_seconds: int


def counts_version(
    name: str, depends_on: tuple[Hashable, ...], *, latest: datetime | None
) -> CountsVersion:
    """The version of counts ``name`` for ``depends_on`` (who reads, what they may see) when
    ``latest`` is the newest conversation change (``conversations_changed_at()``)."""
    digest = hashlib.blake2b(repr((latest, depends_on)).encode(), digest_size=16).hexdigest()
    settled = latest is None or timezone.now() - latest >= COMMIT_SLACK
    return CountsVersion(f"counts:{name}:{digest}", CACHE_SECONDS if settled else 0)


def cached_counts(
    version: CountsVersion, count: Callable[[], T], *, still_current: Callable[[], bool]
) -> T:
    """``count()``, kept under ``version`` when it is settled and ``still_current()`` says,
    after counting, that nothing named in the version changed meanwhile."""
    found = cache.get(version.key)
    if found is not None:
        return found
    value = count()
    if version.keep_seconds and still_current():
        cache.set(version.key, value, version.keep_seconds)
    return value

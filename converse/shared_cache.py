"""The "shared" cache, where the web processes and the workers keep computed reports and
count password reset requests: Redis when ``REDIS_URL`` is set, else files under ``var/``.

Django's own Redis and file caches pickle what they store, so whatever the store hands back
would be unpickled, code and all (anyone who can write to Redis or to the cache folder could
run code in every process). Both of ours store JSON, so what comes back is only ever data:
numbers, strings, lists and dicts."""

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks


class JSONSerializer:
    """Values as JSON: numbers, strings, lists and dicts only."""

    def dumps(self, value) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()

    def loads(self, data: bytes):
        return json.loads(data)


def redis_cache(url: str, *, prefix: str) -> dict:
    """The cache setting of a JSON-only Redis cache at ``url``."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
        "OPTIONS": {"serializer": "converse.shared_cache.JSONSerializer"},
    }


def file_cache(folder: str) -> dict:
    """The cache setting of a JSON-only file cache in ``folder`` (one machine)."""
    return {"BACKEND": "converse.shared_cache.JSONFileCache", "LOCATION": folder}


class JSONFileCache(FileBasedCache):
    """Django's file cache, storing JSON: each file is its expiry (a Unix time, or null)
    on the first line, then the value. A file that does not read as that (one pickled by
    an older version, a torn write) is a miss and is deleted, never unpickled.

    ``add``, ``incr`` and ``touch`` hold a lock on the folder, so processes counting the
    same key never lose an increment; ``incr`` keeps the entry's expiry.

    Past ``MAX_ENTRIES`` only expired entries make room: Django's own cull deletes a random
    share of the files, live ones too, so anyone able to create keys (a reset asked for
    hundreds of made-up addresses) could wipe the reset counts and the worker's heartbeat."""

    cache_suffix = ".json"

    def get(self, key, default=None, version=None):
        entry = self._load(self._key_to_file(key, version))
        return default if entry is None else entry[1]

    def has_key(self, key, version=None) -> bool:
        return self._load(self._key_to_file(key, version)) is not None

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        with self._locked():
            if self.has_key(key, version):
                return False
            self.set(key, value, timeout, version)
            return True

    def incr(self, key, delta=1, version=None):
        with self._locked():
            entry = self._load(self._key_to_file(key, version))
            if entry is None:
                raise ValueError(f"Key '{key}' not found.")
            expiry, value = entry
            value += delta
            self.set(key, value, None if expiry is None else expiry - time.time(), version)
            return value

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        with self._locked():
            entry = self._load(self._key_to_file(key, version))
            if entry is None:
                return False
            self.set(key, entry[1], timeout, version)
            return True

    def _cull(self) -> None:
        filelist = self._list_cache_files()
        if len(filelist) < self._max_entries:
            return
        for fname in filelist:
            self._load(fname)  # deletes it when expired or unreadable

    def _write_content(self, file, timeout, value) -> None:
        expiry = self.get_backend_timeout(timeout)
        file.write(json.dumps(expiry).encode() + b"\n")
        file.write(json.dumps(value, separators=(",", ":")).encode())

    def _load(self, fname: str) -> tuple[float | None, object] | None:
        """The expiry and value stored in ``fname``; None when there is none, it expired
        or it does not read as JSON (then the file is deleted)."""
        try:
            with open(fname, "rb") as f:
                head, _, body = f.read().partition(b"\n")
        except FileNotFoundError:
            return None
        try:
            expiry, value = json.loads(head), json.loads(body)
        except ValueError:
            self._delete(fname)
            return None
        if _expired(expiry):
            self._delete(fname)
            return None
        return expiry, value

    def _is_expired(self, f) -> bool:
        """Django's check, reading JSON (none of our methods call it: they use ``_load``)."""
        try:
            expiry = json.loads(f.readline())
        except ValueError:
            expiry = 0
        if _expired(expiry):
            f.close()
            self._delete(f.name)
            return True
        return False

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._createdir()
        with open(os.path.join(self._dir, "lock"), "ab") as lock:
            locks.lock(lock, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock)


def _expired(expiry) -> bool:
    if expiry is None:
        return False
    return not isinstance(expiry, int | float) or isinstance(expiry, bool) or expiry < time.time()

"""The "shared" cache on Redis, where the web processes and the workers keep computed
reports. Django's Redis cache pickles what it stores, so whatever Redis hands back would be
unpickled, code and all; this one stores JSON, so what comes back is only ever data."""

import json


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

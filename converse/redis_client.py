"""The process's Redis client for what is kept in Redis beside Django's cache and Celery's
broker: presence (``inbox.presence``)."""

from functools import cache as memoise


@memoise
def redis_client(url: str):
    """One client (and its connection pool) per Redis URL, made on first use."""
    import redis

    return redis.Redis.from_url(url)

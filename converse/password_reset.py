"""Password reset, throttled: a reset mails a link to the address typed, so without a limit
the form could be used to mail-bomb a user.

Each e-mail address, and each client address, may ask ``PASSWORD_RESET_LIMIT_PER_ADDRESS``
and ``PASSWORD_RESET_LIMIT_PER_IP`` times in ``PASSWORD_RESET_WINDOW_MINUTES``. Beyond that
nothing is sent, and the form answers with the same "if the address exists, we sent mail"
page as always, so it never tells whether an account exists or was throttled.

Counted in Redis when ``REDIS_URL`` is set (every web process shares the count), else in
Django's cache (each process its own).
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.http import HttpResponseRedirect

from .auth import client_ip
from .redis_client import redis_client

KEY_PREFIX = "converse:password-reset:"

log = logging.getLogger(__name__)


def _counted(key: str, window: int) -> int:
    """How many requests ``key`` has made in its window, this one included; the window
    starts with its first request."""
    if settings.REDIS_URL:
        import redis

        try:
            pipe = redis_client(settings.REDIS_URL).pipeline()
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
            return pipe.execute()[1]
        except redis.RedisError as error:
            log.warning("password reset counted in this process: Redis unavailable: %s", error)
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # its window ended between the two calls
        cache.add(key, 1, window)
        return 1


def _key(kind: str, value: str) -> str:
    # Hashed: the store never holds the addresses themselves.
    return f"{KEY_PREFIX}{kind}:{hashlib.blake2b(value.encode(), digest_size=16).hexdigest()}"


def reset_allowed(*, email: str, ip: str) -> bool:
    """Count a reset request for ``email`` from ``ip``; whether it is within both limits."""
    window = settings.PASSWORD_RESET_WINDOW_MINUTES * 60
    by_address = _counted(_key("address", email.strip().lower()), window)
    by_ip = _counted(_key("ip", ip), window)
    return (
        by_address <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
        and by_ip <= settings.PASSWORD_RESET_LIMIT_PER_IP
    )


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset; over a limit it sends nothing and shows the same page."""

    def form_valid(self, form):
        ip = client_ip(self.request)
        if reset_allowed(email=form.cleaned_data["email"], ip=ip):
            return super().form_valid(form)
        log.warning("password reset not sent: too many requests for the address or from %s", ip)
        return HttpResponseRedirect(self.get_success_url())

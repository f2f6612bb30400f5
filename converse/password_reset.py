"""Password reset, throttled and sent by a worker.

A reset mails a link to the address typed, so without a limit the form could be used to
mail-bomb a user: each e-mail address, and each client address, may ask
``PASSWORD_RESET_LIMIT_PER_ADDRESS`` and ``PASSWORD_RESET_LIMIT_PER_IP`` times in
``PASSWORD_RESET_WINDOW_MINUTES``. The counts are kept in the "shared" cache (Redis, else
files under ``var/``), so every web process sees the same ones.

The request only counts and enqueues ``converse.tasks.send_password_reset_mail`` with the
address typed, whether or not an account has it: looking the account up and sending the mail
happen in a worker, so the answer takes as long, and reads the same, for a known address, an
unknown one and a throttled one. The link in the mail is built from ``PUBLIC_BASE_URL``,
never from the Host header of the request.
"""

import hashlib
import logging
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponseRedirect
from kombu.exceptions import OperationalError as KombuOperationalError

from .auth import client_network

KEY_PREFIX = "password-reset:"

log = logging.getLogger(__name__)


def _counted(key: str, window: int) -> int:
    """How many requests ``key`` has made in its window, this one included; the window
    starts with its first request. Counted in this process alone while the shared cache
    is unreachable (Redis down), so the form keeps working."""
    try:
        return _count_in(caches["shared"], key, window)
    except Exception as error:  # the Redis client's errors, a full disk
        log.warning("password reset counted in this process: shared cache unavailable: %s", error)
        return _count_in(caches["default"], key, window)


def _count_in(cache, key: str, window: int) -> int:
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
    # The client first: one over its limit adds no count for the addresses it names, so it
    # cannot fill the store with made-up ones.
    if _counted(_key("ip", ip), window) > settings.PASSWORD_RESET_LIMIT_PER_IP:
        return False
    # Compared as Django's reset form compares addresses (``_unicode_ci_compare``): every
    # spelling that mails the same account (a long s for "s", "SAM@") shares one count.
    address = unicodedata.normalize("NFKC", email.strip()).casefold()
    by_address = _counted(_key("address", address), window)
    return by_address <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS


def password_reset_mail_enqueue(*, email: str) -> None:
    """Have a worker send the reset mail for ``email`` once the caller's transaction commits.

    With the broker unreachable the request still answers as always: the failure is logged
    and no mail goes (the person may ask again), as a send is kept for the sweep instead of
    failing the agent's request (``inbox.services.sending.enqueue_dispatch``).
    """
    from .tasks import send_password_reset_mail  # the task calls this module

    def enqueue() -> None:
        try:
            send_password_reset_mail.apply_async(args=[email])
        except (KombuOperationalError, OSError):
            log.warning("password reset mail not queued: the broker is unreachable", exc_info=True)

    transaction.on_commit(enqueue)


def password_reset_mail_send(*, email: str) -> None:
    """Mail a reset link to each active account with ``email`` (none: nothing is sent).

    The link points at ``PUBLIC_BASE_URL``'s scheme and host."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    public = urlsplit(settings.PUBLIC_BASE_URL)
    form.save(
        domain_override=public.netloc,
        use_https=public.scheme == "https",
        from_email=settings.DEFAULT_FROM_EMAIL,
    )


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset form; the mail goes from a worker, within the limits, and
    the answer is the same page whatever happens to the request."""

    def form_valid(self, form):
        email, ip = form.cleaned_data["email"], client_network(self.request)
        if reset_allowed(email=email, ip=ip):
            password_reset_mail_enqueue(email=email)
        else:
            log.warning("password reset not sent: too many requests for the address or from %s", ip)
        return HttpResponseRedirect(self.get_success_url())

"""Sign-in throttling (django-axes) and the pieces of it that depend on our deployment."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses sign-ins for an account or an address locked out after too many failures.

    A sign-in from code (no request: the test client's ``login``, a shell) is no attempt
    from the web and is not counted; every form (``/accounts/login/``, the admin's)
    passes its request.
    """

    def authenticate(self, request: HttpRequest | None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def client_ip(request: HttpRequest) -> str:
    """The address a sign-in came from: the peer, or behind our proxy (``BEHIND_PROXY``)
    the last X-Forwarded-For entry, the one that proxy added (a client writes the others)."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")

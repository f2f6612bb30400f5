"""Sign-in throttling (django-axes) and the pieces of it that depend on our deployment."""

import ipaddress

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
    """The address a request came from: the peer, or behind our proxy (``BEHIND_PROXY``)
    the last X-Forwarded-For entry, the one that proxy added (a client writes the others)."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")


def client_network(request: HttpRequest) -> str:
    """``client_ip`` as the key of every limit counted per address (sign-in, password
    reset, web chat): an IPv4 address as it is, an IPv6 one as the first address of its
    /64, since one client commonly holds a whole /64 and could otherwise take a new address
    per attempt. An address that does not parse is kept as it came."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.5 is that IPv4 client
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(ip), 64), strict=False).network_address)

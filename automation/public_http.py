"""POSTs to addresses on the public internet only: the outgoing webhooks' guard against
server-side request forgery.

Every hop is checked after DNS resolution (every address a name resolves to must be public:
no loopback, private, link-local (the cloud metadata endpoint 169.254.169.254), shared,
reserved or multicast range, IPv4-mapped ones included) and the connection goes to the
address that was checked, so a name that resolves differently a moment later (DNS
rebinding) cannot slip through. Redirects are followed by hand, each one checked the same.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3

MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 5.0
REDIRECTS = {301, 302, 303, 307, 308}


class Blocked(Exception):
    """A URL that may not be called; the message says why, for the delivery log."""


@dataclass(frozen=True)
class Answer:
    status: int
    url: str  # the last one called, after redirects


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as failed:
        raise Blocked(f"{host} does not resolve") from failed
    return list(dict.fromkeys(info[4][0] for info in found))


def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``; Blocked unless every address it resolves
    to is public."""
    addresses = resolve(host, port)
    if not addresses:
        raise Blocked(f"{host} does not resolve")
    for raw in addresses:
        if not address_allowed(ipaddress.ip_address(raw.split("%", 1)[0])):
            raise Blocked(f"{host} resolves to {raw}, which is not a public address")
    return addresses[0]


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL without credentials; Blocked otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Blocked("only http:// and https:// URLs can be called")
    if parts.username or parts.password:
        raise Blocked("a webhook URL carries no user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as bad:
        raise Blocked("the URL's port is not valid") from bad
    return parts.scheme, parts.hostname, port


def post_public(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url`` and follow up to MAX_REDIRECTS redirects, each hop checked;
    raises Blocked for an address that is not public, urllib3's errors for network ones."""
    for _ in range(MAX_REDIRECTS + 1):
        scheme, host, port = check_url(url)
        address = public_address(host, port)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pool_class = (
            urllib3.HTTPSConnectionPool if scheme == "https" else urllib3.HTTPConnectionPool
        )
        # Connect to the checked address; an https certificate is still checked for ``host``.
        extra = {"server_hostname": host, "assert_hostname": host} if scheme == "https" else {}
        with pool_class(address, port, timeout=TIMEOUT_SECONDS, retries=False, **extra) as pool:
            response = pool.urlopen(
                "POST",
                path,
                body=body,
                headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
                redirect=False,
                preload_content=False,
            )
            status, location = response.status, response.headers.get("Location", "")
            response.release_conn()
        if status not in REDIRECTS or not location:
            return Answer(status=status, url=url)
        url = urljoin(url, location)
    raise Blocked(f"more than {MAX_REDIRECTS} redirects")

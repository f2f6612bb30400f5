"""Tiny readers for settings taken from environment variables; a bad value fails loudly."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "testserver"}


def public_base_url_default(allowed_hosts: list[str]) -> str:
    """Where the deployment is reached when ``PUBLIC_BASE_URL`` is unset: the first host
    name in ``allowed_hosts`` (not a pattern) over HTTPS; locally http://127.0.0.1:8000."""
    for host in allowed_hosts:
        if host == "*" or host.startswith("."):
            continue
        if host in LOCAL_HOSTS:
            break
        return f"https://{host}"
    return "http://127.0.0.1:8000"

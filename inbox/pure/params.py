"""Reading numbers from request parameters: bad values are ignored, never a 500.

Every view, selector and filter that takes a number from a query string or a form reads it
here (``str.isdigit`` accepts "²" and "١٢", which ``int`` then refuses)."""

import re

# ASCII digits only, and no more than a PostgreSQL bigint holds.
_NUMBER = re.compile(r"[0-9]{1,18}")


def param_int(raw: str | None, *, low: int = 0, high: int = 10**18 - 1) -> int | None:
    """The whole number written in ``raw`` (ASCII digits, ``low``…``high``), or None."""
    raw = (raw or "").strip()
    if not _NUMBER.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def param_id(raw: str | None) -> int | None:
    """The positive integer id written in ``raw``, or None."""
    return param_int(raw, low=1)

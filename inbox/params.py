"""Reading ids from request parameters: bad values are ignored, never a 500."""

import re

# ASCII digits only (``str.isdigit`` also accepts "²" and other digits), and no more than a
# PostgreSQL bigint holds.
_ID = re.compile(r"[0-9]{1,18}")


def param_id(raw: str | None) -> int | None:
    """The positive integer id written in ``raw``, or None."""
    raw = (raw or "").strip()
    return int(raw) if _ID.fullmatch(raw) else None

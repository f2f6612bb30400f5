"""Opaque public ids: URLs never carry a guessable counter."""

import secrets

ALPHABET = "23456789abcdefghijkmnopqrstuvwxyz"
# Every two base-33 digits as their two characters, least significant first: a number is
# written eight pairs at a time rather than sixteen characters (a plan or an import makes
# 100,000 ids).
PAIRS = [low + high for high in ALPHABET for low in ALPHABET]


def new_public_id() -> str:
    """A 16-character random slug (about 80 bits), safe in URLs: one random number below
    33¹⁶ written in base 33, as likely as 16 characters drawn one by one (and one call for
    randomness, not 16)."""
    number = secrets.randbelow(len(ALPHABET) ** 16)
    pairs = []
    for _ in range(8):
        number, pair = divmod(number, len(PAIRS))
        pairs.append(PAIRS[pair])
    return "".join(pairs)


def looks_like_public_id(text: str) -> bool:
    """Whether ``text`` could be a public id (any case): worth looking up as one."""
    return len(text) == 16 and not set(text.lower()) - set(ALPHABET)


# Random bytes below 231 (7 x 33) map evenly onto the alphabet; the rest are dropped.
_EVEN = 7 * len(ALPHABET)
_CHARS = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(_EVEN)).ljust(256, b"\0")
_DROPPED = bytes(range(_EVEN, 256))


def new_public_ids(count: int) -> list[str]:
    """``count`` public ids as ``new_public_id`` makes them (each character drawn evenly
    from the alphabet), for many rows at once: a few calls for randomness, no loop per
    character (a campaign plan writes 100,000 rows)."""
    size = 16 * count
    chars = bytearray()
    while len(chars) < size:
        chars += secrets.token_bytes((size - len(chars)) * 256 // _EVEN + 16).translate(
            _CHARS, _DROPPED
        )
    text = chars[:size].decode()
    return [text[i : i + 16] for i in range(0, size, 16)]

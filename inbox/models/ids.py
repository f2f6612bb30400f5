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

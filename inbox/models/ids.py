"""Opaque public ids: URLs never carry a guessable counter."""

import secrets

ALPHABET = "23456789abcdefghijkmnopqrstuvwxyz"


def new_public_id() -> str:
    """A 16-character random slug (about 80 bits), safe in URLs: one random number below
    33¹⁶ written in base 33, as likely as 16 characters drawn one by one (and one call for
    randomness, not 16: an import makes 100,000 of these)."""
    number = secrets.randbelow(len(ALPHABET) ** 16)
    chars = []
    for _ in range(16):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars)

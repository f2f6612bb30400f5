"""Opaque public ids: URLs never carry a guessable counter."""

import secrets

ALPHABET = "23456789abcdefghijkmnopqrstuvwxyz"


def new_public_id() -> str:
    """A 16-character random slug (about 80 bits), safe in URLs."""
    return "".join(secrets.choice(ALPHABET) for _ in range(16))

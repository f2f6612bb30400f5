"""Mailbox passwords, encrypted at rest with Fernet (AES-128-CBC and HMAC-SHA256).

The keys come from the environment: ``MAILBOX_KEYS``, one or more Fernet keys separated
by commas, the first one encrypting and every one decrypting (add a new key first, save
each mailbox again, which encrypts its password with it, then drop the old one). Without
it, a key is derived from ``SECRET_KEY`` (itself from the environment outside the demo), so
a fresh install works; changing ``SECRET_KEY`` then makes the stored passwords unreadable:
enter them again.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class PasswordUnreadable(Exception):
    """The stored password was encrypted with a key no longer configured."""


class MailboxKeysInvalid(PasswordUnreadable):
    """``MAILBOX_KEYS`` holds something that is no Fernet key: no password can be read or
    stored until it is corrected."""


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.MAILBOX_KEYS.split(",") if k.strip()]
    if not keys:
        derived = hashlib.sha256(f"mailbox passwords {settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError:
        raise MailboxKeysInvalid(
            "MAILBOX_KEYS holds a key that is not a Fernet key (44 characters of URL-safe "
            "base64): correct it in the environment."
        ) from None


def password_encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def password_rotate(token: str) -> str:
    """``token`` encrypted again with the first key (rotation: the old key may then go);
    unchanged when no configured key reads it (or there is none yet)."""
    if not token:
        return token
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        return token


def password_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise PasswordUnreadable(
            "The mailbox password cannot be decrypted with the configured MAILBOX_KEYS: "
            "enter it again."
        ) from None

from datetime import timedelta

import pytest

from inbox import versions


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The shared people are created per test; a fast hasher keeps that cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def settled(monkeypatch):
    """Every change counts as committed at once: kept counts need not read again what
    changed in the last second."""
    monkeypatch.setattr(versions, "COMMIT_SLACK", timedelta(0))


from .whatsapp_helpers import order_template, wa_line  # noqa: E402, F401

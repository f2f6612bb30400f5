import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The shared people are created per test; a fast hasher keeps that cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


from .whatsapp_helpers import order_template, wa_line  # noqa: E402, F401

import pytest
import time_machine
from django.utils import timezone

from channels_webchat.models import Website
from channels_webchat.websites import website_save


def make_website(*, owner, origins: str = "https://shop.example.com", **fields) -> Website:
    return website_save(
        website=Website(allowed_origins=origins, **fields), name="Shop", team=None, owner=owner
    )


@pytest.fixture
def website(alice) -> Website:
    return make_website(owner=alice)


@pytest.fixture
def one_rate_window():
    """The widget's limits count in fixed windows (django-ratelimit): with the clock
    standing still, no window ends between a test's requests and resets its count."""
    with time_machine.travel(timezone.now(), tick=False):
        yield

import pytest

from channels_webchat.models import Website
from channels_webchat.websites import website_save


def make_website(*, owner, origins: str = "https://shop.example.com", **fields) -> Website:
    return website_save(
        website=Website(allowed_origins=origins, **fields), name="Shop", team=None, owner=owner
    )


@pytest.fixture
def website(alice) -> Website:
    return make_website(owner=alice)

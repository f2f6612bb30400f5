"""Admins add a website as a sender ID of the web-chat channel and copy its snippet."""

import pytest

from channels_webchat.models import Website
from inbox.models import Channel, SenderId

pytestmark = pytest.mark.django_db

ADD = "/admin/channels_webchat/website/add/"


@pytest.fixture
def admin(admin):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return admin


def form(**changes) -> dict:
    return {
        "name": "Shop",
        "team": "",
        "owner": "",
        "allowed_origins": "https://shop.example.com\nhttp://localhost:8001/",
        "greeting": "Hello!",
        "colour": "#0F766E",
        "away_message": "Away.",
        **changes,
    }


def test_a_website_is_a_sender_id_of_the_web_chat_channel_and_shows_its_snippet(
    client, admin, alice
):
    client.force_login(admin)
    response = client.post(ADD, form(owner=alice.pk, prechat_form="on"))
    assert response.status_code == 302
    website = Website.objects.get()
    sender = website.sender
    assert (sender.channel, sender.label, sender.owner) == (Channel.WEBCHAT, "Shop", alice)
    assert website.origins == ["https://shop.example.com", "http://localhost:8001"]
    assert (website.colour, website.prechat_form) == ("#0f766e", True)
    page = client.get(f"/admin/channels_webchat/website/{website.pk}/change/").content.decode()
    # The line to copy, shown as text (never as a script of the admin page).
    assert (
        "&lt;script src=&quot;http://127.0.0.1:8000/webchat/widget.js&quot; "
        f"data-website=&quot;{website.key}&quot; async&gt;&lt;/script&gt;" in page
    )
    # Renaming the website renames its sender ID (its inbox).
    client.post(
        f"/admin/channels_webchat/website/{website.pk}/change/",
        form(name="Shop EU", owner=alice.pk),
    )
    assert SenderId.objects.get(pk=sender.pk).label == "Shop EU"


@pytest.mark.parametrize(
    ("origins", "reason"),
    [
        ("https://shop.example.com; script-src *", "is not an origin"),
        ("https://shop.example.com/path", "is not an origin"),
        ("javascript:alert(1)", "is not an origin"),
        ("shop.example.com", "is not an origin"),
        ("https://shop.example.com:99999", "is not an origin"),
        ("  \n ", "This field is required"),
    ],
)
def test_anything_but_an_origin_is_refused(client, admin, origins, reason):
    client.force_login(admin)
    response = client.post(ADD, form(allowed_origins=origins))
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not Website.objects.exists()


def test_a_colour_must_be_one(client, admin):
    client.force_login(admin)
    response = client.post(ADD, form(colour="#12345g"))
    assert "Write the colour as #rrggbb" in response.content.decode()
    assert not Website.objects.exists()


def test_agents_cannot_change_websites(client, alice):
    client.force_login(alice)
    assert client.get(ADD).status_code == 302  # to the admin's sign-in

"""The favicon: a small SVG among our static files, linked from every page (browsers asked
for /favicon.ico on every page and got a 404)."""

import urllib.request

from django.templatetags.static import static
from django.urls import reverse

LINK = '<link rel="icon" href="{}" type="image/svg+xml">'


def test_every_page_links_the_favicon(client, alice):
    link = LINK.format(static("favicon.svg"))
    assert static("favicon.svg") == "/static/favicon.svg"
    assert link in client.get(reverse("login")).content.decode()
    client.force_login(alice)
    assert link in client.get(reverse("inbox:my_inbox")).content.decode()


def test_the_favicon_is_served_as_an_svg_image(live_server):
    with urllib.request.urlopen(live_server.url + static("favicon.svg")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        assert response.read().startswith(b"<svg")

"""The top bar: what each kind of user can reach from every page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def top_bar(client, user) -> str:
    client.force_login(user)
    html = client.get(reverse("inbox:contacts")).content.decode()
    return html[html.index('<nav class="topnav"') : html.index("</nav>")]


def test_admins_reach_reports_and_business_hours_from_every_page(client, admin):
    nav = top_bar(client, admin)
    assert f'href="{reverse("inbox:reports")}">Reports</a>' in nav
    assert f'href="{reverse("inbox:hours_settings")}">Business hours</a>' in nav


def test_agents_are_not_offered_the_admin_pages(client, alice):
    nav = top_bar(client, alice)
    assert reverse("inbox:reports") not in nav
    assert reverse("inbox:hours_settings") not in nav

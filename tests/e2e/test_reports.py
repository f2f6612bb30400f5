"""An admin reads the reports on the demo data, in a real browser (F-RP1)."""

import csv
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from playwright.sync_api import expect

from inbox.models import User
from inbox.views.reports import CHART_JS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_reads_the_charts_opens_the_late_answers_and_downloads_the_csv(
    sign_in, live_server, tasks
):
    if not finders.find(CHART_JS):
        pytest.skip("Chart.js is not installed: run `make install` (it needs npm)")
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = sign_in(User.objects.get(username="admin"))
    page.get_by_role("link", name="Reports").click()
    page.get_by_label("30 days").check()
    page.get_by_role("button", name="Show").click()

    expect(page.locator('canvas[data-chart="volume"]')).to_have_attribute("data-drawn", "true")
    expect(page.locator('canvas[data-chart="frt"]')).to_be_visible()
    expect(page.locator("table.heatmap a").first).to_be_visible()

    late = page.locator(".figure a", has_text="Answered late")
    count = int(late.locator(".figure-value").inner_text())
    assert count > 0
    late.click()
    expect(page).to_have_url(re.compile(r"/all/\?.*answer=late"))
    expect(page.locator(".report-slice")).to_contain_text("answered late")
    expect(page.locator(".conversation-row")).to_have_count(count)

    page.go_back()
    expect(page.locator(".report-freshness")).to_contain_text("Figures as of")
    page.get_by_role("link", name="Refresh").click()
    expect(page).to_have_url(re.compile(r"/reports/\?period=30d&refresh=1"))
    opened = int(
        page.locator(".figure a", has_text="Conversations opened")
        .locator(".figure-value")
        .inner_text()
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    with open(download.value.path(), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == opened
    assert {"link", "first response seconds", "agent messages"} <= set(rows[0])

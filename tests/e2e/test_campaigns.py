"""A WhatsApp template campaign in a real browser (issue 27): an admin creates and launches
it against the built-in simulator; the opted-out and the unconsented are excluded with their
reasons, a recipient in the night is held by quiet hours (a fixed clock), the others are
delivered, and a reply opens a conversation for the owner."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from campaigns.figures import figures_refresh_due
from campaigns.release import campaigns_release_due
from inbox.models import Channel, Label, SenderId
from inbox.services.whatsapp_templates import whatsapp_templates_sync

from ..campaigns.conftest import customer
from ..conftest import receive
from .conftest import settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tomorrow_at_17_utc() -> datetime:
    """The worker's fixed time of day, after the launch the browser makes on the real clock:
    midday in Washington and night in Sydney in every season. A fixed date would fall before
    the launch (nothing due) or leave the held recipient's time behind the page's clock."""
    return (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=17, minute=0, second=0, microsecond=0
    )


def test_an_admin_runs_a_whatsapp_campaign_to_a_label(sign_in, admin, live_server, tasks):
    line = SenderId.objects.create(
        address="whatsapp:+14155550142", channel=Channel.WHATSAPP, label="WhatsApp"
    )
    whatsapp_templates_sync()
    vip = Label.objects.create(name="VIP")
    ann = customer("+12025550101", "Ann", label=vip)
    customer("+14155550123", "Dee", label=vip)
    customer("+61291234567", "Syd", label=vip)  # 04:00 in Sydney at the fixed clock
    customer("+12025550102", "Ben", label=vip, opted_out=True)
    customer("+12025550103", "Cal", label=vip, consent=False)
    customer("+12025550104", "Eve")  # not VIP

    page = sign_in(admin)
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.get_by_role("link", name="New campaign").click()
    page.fill("#id_name", "VIP December")
    page.get_by_label("WhatsApp (whatsapp:+14155550142)").check()
    page.get_by_label("VIP", exact=True).check()
    expect(page.get_by_test_id("audience-count")).to_have_text("5")
    page.select_option("#id_template", label="order_update (en)")
    page.select_option("select[name=var_field_1]", label="Name")
    page.fill("input[name=var_value_2]", "D-7")
    page.locator("input[name=var_value_2]").dispatch_event("change")
    expect(page.get_by_test_id("preview")).to_have_text(
        "Hi Ann, your order D-7 is on its way. Reply here with any question."
    )
    page.get_by_role("button", name="Save campaign").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("Draft")
    page.get_by_role("button", name="Launch").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("Scheduled")

    # The page holds the live stream: what follows reaches it by push, not by polling.
    settle(page)

    # The worker at a fixed time of day: 17:00 UTC, midday in Washington, night in Sydney.
    worker_at = tomorrow_at_17_utc()
    with time_machine.travel(worker_at, tick=False):
        assert campaigns_release_due() == 2  # Ann and Dee; Syd waits
        tasks.run_all()  # the simulator accepts, delivers and reads them
    with time_machine.travel(worker_at + timedelta(minutes=5), tick=False):
        receive(line, ann.phone_e164, "Yes please, the blue one")
        figures_refresh_due()  # the worker's sweep counts them again and tells the page

    # The page is live (Syd is still held): its figures follow, by push.
    expect(page.get_by_test_id("count-replied")).to_have_text("1")
    expect(page.get_by_test_id("campaign-state")).to_have_text("Running")  # and its state
    expect(page.get_by_test_id("count-audience")).to_have_text("5")
    expect(page.get_by_test_id("count-delivered")).to_have_text("2")
    expect(page.get_by_test_id("count-held")).to_have_text("1")
    expect(page.get_by_test_id("count-excluded_opted_out")).to_have_text("1")
    expect(page.get_by_test_id("count-excluded_no_opt_in")).to_have_text("1")

    page.get_by_test_id("figure-held").click()
    held = page.get_by_test_id("recipients")
    expect(held).to_contain_text("Syd")
    expect(held).to_contain_text("Held: Quiet hours (08:00–21:00 Australia/Sydney)")
    page.get_by_test_id("figure-excluded_no_opt_in").click()
    expect(page.get_by_test_id("recipients")).to_contain_text("Cal")
    expect(page.get_by_test_id("recipients")).not_to_contain_text("Syd")

    # The reply opened a conversation in the owner's inbox, the campaign message above it.
    page.get_by_test_id("figure-replied").click()
    page.get_by_test_id("recipients").get_by_role("link", name="Replied").click()
    thread = page.locator(".message-out, .message-in")
    expect(thread).to_have_count(2)
    expect(thread.first).to_contain_text("Hi Ann, your order D-7 is on its way.")
    expect(thread.last).to_contain_text("Yes please, the blue one")
    page.goto(f"{live_server.url}/")
    expect(page.locator("#conversation-list, .conversation-list").first).to_contain_text("Ann")

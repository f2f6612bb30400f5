"""Campaigns at scale (issue 27): planning every contact of the data set, the campaign page
over all its recipients, and one release sweep against the sender ID's configured rate."""

import statistics
import time
import tracemalloc
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.figures import campaign_figures_refresh
from campaigns.models import Campaign, Recipient
from campaigns.planning import campaign_plan
from campaigns.release import RELEASE_AHEAD, QuietRules, campaign_release
from inbox.models import (
    Channel,
    Contact,
    ContactFieldValue,
    ContactImport,
    CustomField,
    ImportedContact,
    SenderId,
    User,
)

from .dataset import ADMIN
from .pages import signed_in

WARMUP = 3
RATE = Decimal(10)  # segments/s of the campaign's sender ID (a toll-free number's)


@dataclass
class CampaignResult:
    recipients: int
    plan_seconds: float
    plan_peak_mb: float
    page_requests: int
    page_p50_ms: float
    page_p95_ms: float
    page_queries: str
    # The worker's count of the figures the page reads (campaigns.figures).
    figures_ms: float
    released: int
    release_seconds: float
    release_ahead_seconds: float
    sender_rate: float
    # The same audience through an uploaded list and a custom-field condition.
    list_recipients: int = 0
    list_plan_seconds: float = 0.0


def measure_campaign(requests: int = 50) -> CampaignResult:
    """Plan an SMS campaign to every contact, time its page, release one sweep (rolled back:
    nothing is sent), then remove it."""
    admin = User.objects.get(username=ADMIN)
    sender = SenderId.objects.filter(channel=Channel.SMS).order_by("pk").first()
    SenderId.objects.filter(pk=sender.pk).update(rate_per_second=RATE, next_send_at=None)
    campaign = Campaign.objects.create(
        name="bench",
        owner=admin,
        channel=Channel.SMS,
        body="Hi {{name}}, our winter sale starts today.",
        state=Campaign.State.RUNNING,
        launched_at=timezone.now(),
    )
    campaign.senders.add(sender)
    try:
        tracemalloc.start()
        started = time.perf_counter()
        campaign_plan(campaign=campaign)
        plan_seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        campaign.refresh_from_db()
        started = time.perf_counter()
        campaign_figures_refresh(campaign=campaign)
        figures_ms = (time.perf_counter() - started) * 1000
        p50, p95, queries = _page(campaign, requests)
        released, release_seconds = _one_sweep(campaign)
        list_recipients, list_plan_seconds = _plan_list_with_condition(admin, sender)
        return CampaignResult(
            recipients=Recipient.objects.filter(campaign=campaign).count(),
            plan_seconds=round(plan_seconds, 2),
            plan_peak_mb=round(peak / 2**20, 1),
            page_requests=requests,
            page_p50_ms=p50,
            page_p95_ms=p95,
            page_queries=queries,
            figures_ms=round(figures_ms, 1),
            released=released,
            release_seconds=round(release_seconds, 2),
            release_ahead_seconds=RELEASE_AHEAD.total_seconds(),
            sender_rate=float(RATE),
            list_recipients=list_recipients,
            list_plan_seconds=round(list_plan_seconds, 2),
        )
    finally:
        campaign.delete()


def _plan_list_with_condition(admin: User, sender: SenderId) -> tuple[int, float]:
    """Plan a campaign to an uploaded list holding every contact, with a custom-field
    condition every contact meets (each contact's list row and field value probed in the
    chunk's one query); the list, the field and the campaign are removed after."""
    field = CustomField.objects.create(name="bench_tier", label="Bench tier")
    contact_list = ContactImport.objects.create(
        created_by=admin, file_name="bench.csv", source="", state=ContactImport.State.DONE
    )
    contacts = connection.ops.quote_name(Contact._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ImportedContact._meta.db_table} (contact_import_id, contact_id) "
            f"SELECT %s, id FROM {contacts}",
            [contact_list.pk],
        )
        cursor.execute(
            f"INSERT INTO {ContactFieldValue._meta.db_table} (contact_id, field_id, value) "
            f"SELECT id, %s, 'gold' FROM {contacts}",
            [field.pk],
        )
    campaign = Campaign.objects.create(
        name="bench list",
        owner=admin,
        channel=Channel.SMS,
        body="Hi {{name}}, our winter sale starts today.",
        conditions=[{"field": field.name, "op": "equals", "value": "Gold"}],
        contact_list=contact_list,
        state=Campaign.State.RUNNING,
        launched_at=timezone.now(),
    )
    campaign.senders.add(sender)
    try:
        started = time.perf_counter()
        campaign_plan(campaign=campaign)
        seconds = time.perf_counter() - started
        return Recipient.objects.filter(campaign=campaign).count(), seconds
    finally:
        campaign.delete()
        contact_list.delete()
        ContactFieldValue.objects.filter(field=field).delete()
        field.delete()


def _page(campaign: Campaign, requests: int) -> tuple[float, float, str]:
    client = signed_in(ADMIN)
    url = f"/campaigns/{campaign.public_id}/"
    counts = set()
    for _ in range(WARMUP):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.add(len(captured.captured_queries))
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    queries = "-".join(str(n) for n in sorted({min(counts), max(counts)}))
    return (
        round(statistics.median(timings), 1),
        round(statistics.quantiles(timings, n=20)[18], 1),
        queries,
    )


def _one_sweep(campaign: Campaign) -> tuple[int, float]:
    """One release sweep of the campaign, at any hour (quiet hours open all day), inside a
    transaction rolled back after: the sends are saved and paced, never queued."""
    quiet = QuietRules()
    quiet.start, quiet.end, quiet.rules = quiet.start.replace(hour=0), quiet.end.max, {}
    with transaction.atomic():
        started = time.perf_counter()
        released = campaign_release(campaign=campaign, quiet=quiet, now=timezone.now())
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return released, seconds

"""Inbox pages through Django's test client: p50/p95 latency and SQL queries per page.

A page is one line of ``PAGES``: a name, who is signed in, and a URL whose ``{placeholders}``
are filled from ``Targets`` (each placeholder cycles through several real values, so a run
does not measure one hot row). A page that answers anything but 200 or 204 is reported
as an error (unless the page lists it among its ``statuses``).
"""

import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise

from django.db import connection
from django.db.models import Max, Subquery
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Conversation, Message, SenderId, TranscriptExport, User
from inbox.selectors.contacts import ContactFilters, contacts_page
from inbox.selectors.lists import InboxFilters, InboxView, inbox_conversations
from inbox.views.live import format_version

from .dataset import ADMIN, BUSY_AGENT

FLOOR = "Bare Django view (floor)"


@dataclass(frozen=True)
class Goal:
    """What a page should take at the full data set: p95 milliseconds, and at most this many
    SQL queries when given."""

    p95_ms: float
    queries: int | None = None


# Issue 24's bars, as p95 in ``make bench`` at the full data set.
GOALS = {
    "Conversation window": Goal(25, queries=12),
    "Row opened from the list": Goal(20),
    "My Inbox": Goal(35),
    "Sent Messages": Goal(35),
    "Sender ID inbox": Goal(35),
    "Team Inbox: one agent (admin)": Goal(35),
    "Search by phone": Goal(35),
    "Search by name": Goal(35),
    "Search by contact id": Goal(35),
    "Contacts search by phone": Goal(35),
    "Contacts search by name": Goal(35),
}


@dataclass(frozen=True)
class Page:
    name: str
    user: str  # "agent" (the busy agent) or "admin"
    url: str
    htmx_target: str = ""  # an htmx request for this element (a partial page)
    # Answers that are not errors (readiness answers 503 while a backlog waits).
    statuses: tuple[int, ...] = (200, 204)
    method: str = "get"
    # Asked by a web-chat visitor: their token goes along (``Targets.webchat_token``).
    visitor: bool = False
    # A busy organisation: some conversation changes before each request (untimed).
    busy: bool = False

    def headers(self, targets: "Targets") -> dict[str, str]:
        if self.visitor:
            return {"Authorization": f"Bearer {targets.values['webchat_token'][0]}"}
        return {"HX-Request": "true", "HX-Target": self.htmx_target} if self.htmx_target else {}


PAGES = [
    # The floor: a view that does nothing, through the same client, session and middleware.
    Page(FLOOR, "agent", "/bench/bare"),
    Page("My Inbox", "agent", "/"),
    Page("My Inbox page 2+", "agent", "/?after={cursor}"),
    Page("My Inbox, a conversation changed before each", "agent", "/", busy=True),
    Page("Conversation window", "agent", "/c/{conversation}/"),
    Page("Row opened from the list", "agent", "/c/{conversation}/", htmx_target="window"),
    Page("Thread poll, unchanged (204)", "agent", "/c/{conversation}/thread/?v={version}"),
    Page("Thread poll, changed", "agent", "/c/{conversation}/thread/?v=0"),
    Page("My Inbox, overdue filter", "agent", "/?waiting=overdue"),
    Page("Search by phone", "agent", "/?q={phone}"),
    Page("Search by name", "agent", "/?q={name}"),
    Page("Search by contact id", "agent", "/?q={contact}"),
    Page("Sender ID inbox", "agent", "/s/{sender}/"),
    Page("Sent Messages", "agent", "/sent/"),
    Page("Live poll, nothing new (204)", "agent", "/live/?since={now}"),
    Page("Navigation redraw", "agent", "/nav/?kind=mine"),
    Page("Contacts list", "agent", "/contacts/"),
    Page("Contacts list page 2+", "agent", "/contacts/?after={contact_cursor}"),
    Page("Contacts search by phone", "agent", "/contacts/?q={phone}"),
    Page("Contacts search by name", "agent", "/contacts/?q={name}"),
    Page("Contact page", "agent", "/contacts/{contact}/"),
    Page("Presence beat (typing)", "agent", "/c/{conversation}/presence/", method="post"),
    Page("Search message text: old word", "agent", "/search/?q={old_word}"),
    Page("Search message text: common", "agent", "/search/?q=tracking"),
    Page("Mentions", "agent", "/mentions/"),
    Page("Snoozed", "agent", "/snoozed/"),
    Page("New conversation, a sender ID chosen", "agent", "/new/?sender={sender_pk}"),
    Page(
        "New conversation: sender ID picked",
        "agent",
        "/new/sender/?sender={sender_pk}",
        htmx_target="sender-notice",
    ),
    Page("Profile (time zone, password)", "agent", "/profile/"),
    Page("Macros", "agent", "/automation/macros/"),
    Page("Macros menu", "agent", "/automation/c/{conversation}/macros/", htmx_target="macros"),
    Page("Saved reply picker without JavaScript", "agent", "/c/{conversation}/replies/choose/"),
    Page(
        "Template picker search",
        "agent",
        "/c/{conversation}/templates/?q=order",
        htmx_target="template-results",
    ),
    Page(
        "PDF transcript progress poll", "agent", "/c/{export}/", htmx_target="transcript-progress"
    ),
    Page("My Inbox (admin)", "admin", "/"),
    Page("Team Inbox: one agent (admin)", "admin", "/team/{agent}/"),
    Page("My Inbox, a conversation changed before each (admin)", "admin", "/", busy=True),
    Page("Conversation window (admin)", "admin", "/c/{conversation}/"),
    Page("WhatsApp consent import (admin)", "admin", "/consent/import/"),
    Page("Merge with…: search by name (admin)", "admin", "/contacts/{contact}/merge/?q={name}"),
    Page("Merge confirmation (admin)", "admin", "/contacts/{merge}/"),
    Page("Readiness /readyz (admin)", "admin", "/readyz", statuses=(200, 503)),
    Page("Metrics /metrics (admin)", "admin", "/metrics"),
    Page("Search message text (admin)", "admin", "/search/?q={old_word}"),
    Page("Business hours settings (admin)", "admin", "/settings/hours/"),
    Page("Automation rules (admin)", "admin", "/automation/"),
    Page("Webhooks and deliveries (admin)", "admin", "/automation/webhooks/"),
    Page("Bots (admin)", "admin", "/automation/bots/"),
    Page("New bot, lines to choose from (admin)", "admin", "/automation/bots/new/"),
    # Computed afresh (refresh=1) on every request, then as an admin opens them: from the
    # kept figures (which beat keeps current for the preset periods).
    Page("Reports, today, computed (admin)", "admin", "/reports/?period=today&refresh=1"),
    Page("Reports, 7 days, computed (admin)", "admin", "/reports/?period=7d&refresh=1"),
    Page("Reports, 30 days, computed (admin)", "admin", "/reports/?period=30d&refresh=1"),
    Page("Reports, 7 days, kept (admin)", "admin", "/reports/?period=7d"),
    Page("Reports, 30 days, kept (admin)", "admin", "/reports/?period=30d"),
    Page(
        "Reports, 30 days, one agent, computed (admin)",
        "admin",
        "/reports/?period=30d&agent={agent_id}&refresh=1",
    ),
    Page("Answered late, 7 days (admin)", "admin", "/all/?on=opened&since={week_ago}&answer=late"),
    # A web-chat visitor's widget: its frame, and the poll it makes every few seconds.
    Page("Web chat frame (visitor)", "agent", "/webchat/{webchat_key}/frame/"),
    Page("Web chat poll (visitor)", "agent", "/webchat/{webchat_key}/state", visitor=True),
]

WARMUP = 3


@dataclass
class Targets:
    """Real values for the URL placeholders, taken from the busy agent's inbox."""

    values: dict[str, list[str]]

    def url(self, template: str, i: int) -> str:
        return template.format(**{k: v[i % len(v)] for k, v in self.values.items() if v})


@dataclass
class PageResult:
    name: str
    user: str
    url: str
    requests: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    queries: str = ""
    # CPU of this process per timed request (the web side, with the database's own apart).
    cpu_ms: float | None = None
    status: str = "ok"
    note: str = ""
    # Against ``GOALS``: p95 over the goal's p95 (≤ 1 meets it), and whether the page misses.
    goal_p95_ms: float | None = None
    goal_queries: int | None = None
    goal_ratio: float | None = None
    misses_goal: bool = False
    slow_queries: list[dict] = field(default_factory=list)


def find_targets(agent: User, *, limit: int = 50) -> Targets:
    mine, no_filters = InboxView("mine"), InboxFilters()
    conversations, cursor = inbox_conversations(user=agent, view=mine, filters=no_filters)
    cursors: list[str] = []
    while cursor is not None and len(cursors) < 20:
        cursors.append(cursor.encode())
        _, cursor = inbox_conversations(user=agent, view=mine, filters=no_filters, after=cursor)
    chosen = conversations[:limit]
    contacts = [c.contact for c in Conversation.objects.filter(owner=agent)[:limit]]
    contact_cursors: list[str] = []
    _, contact_cursor = contacts_page(filters=ContactFilters(), after=None)
    while contact_cursor is not None and len(contact_cursors) < 20:
        contact_cursors.append(contact_cursor.encode())
        _, contact_cursor = contacts_page(filters=ContactFilters(), after=contact_cursor)
    return Targets(
        {
            "conversation": [c.public_id for c in chosen],
            "version": [format_version(c.changed_at) for c in chosen],
            "cursor": cursors,
            "phone": [c.phone_e164 for c in contacts if c.phone_e164],
            "name": [c.display_name.split()[-1] for c in contacts if c.display_name],
            "sender": list(
                SenderId.objects.filter(owner=agent).values_list("public_id", flat=True)
            ),
            "sender_pk": [
                str(pk) for pk in SenderId.objects.filter(owner=agent).values_list("pk", flat=True)
            ],
            "agent": [agent.username],
            "contact": [c.public_id for c in contacts],
            # "<kept>/merge/<merged>": two different contacts of the busy agent.
            "merge": [
                f"{a.public_id}/merge/{b.public_id}" for a, b in pairwise(contacts) if a.pk != b.pk
            ],
            "contact_cursor": contact_cursors,
            "old_word": old_words(agent),
            "agent_id": [str(agent.pk)],
            "week_ago": [(timezone.localdate() - timedelta(days=6)).isoformat()],
            "now": [format_version(timezone.now())],
            "export": _exports_of(agent, chosen[:10]),
            **_webchat_visitor(agent),
        }
    )


def old_words(agent: User, *, limit: int = 20) -> list[str]:
    """Numbers (order, code, street) written in the busy agent's oldest customer messages:
    a word from an old message, as an agent would search for it."""
    words = []
    for body in (
        Message.objects.filter(conversation__owner=agent, direction="in", body__regex=r"[0-9]{3}")
        .order_by("created_at")
        .values_list("body", flat=True)[:limit]
    ):
        words += re.findall(r"[0-9]{3,}", body)[:1]
    return words


def _webchat_visitor(agent: User) -> dict[str, list[str]]:
    """A website of the busy agent's and a visitor who wrote 30 messages on it (made at
    each run: the token is known only when the visitor starts)."""
    from channels_webchat.models import Website
    from channels_webchat.visitors import visitor_start, visitor_write
    from channels_webchat.websites import website_save

    website = Website.objects.filter(key="bench").select_related("sender").first()
    if website is None:
        website = website_save(
            website=Website(key="bench", allowed_origins="https://shop.example.com"),
            name="Bench website",
            team=None,
            owner=agent,
        )
    visitor, token = visitor_start(website=website)
    for i in range(30):
        visitor_write(visitor=visitor, body=f"Question {i}", key=f"bench-{i}")
    return {"webchat_key": [website.key], "webchat_token": [token]}


def _exports_of(agent: User, conversations: list[Conversation]) -> list[str]:
    """``<conversation>/transcript/<export>`` of a transcript export for each conversation
    the agent owns (made once, kept with ``--reuse``)."""
    owned = Conversation.objects.filter(pk__in=[c.pk for c in conversations], owner=agent)
    exports = [
        TranscriptExport.objects.filter(conversation=c, requested_by=agent).first()
        or TranscriptExport.objects.create(conversation=c, requested_by=agent)
        for c in owned
    ]
    return [f"{e.conversation.public_id}/transcript/{e.public_id}" for e in exports]


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def measure_page(page: Page, client: Client, targets: Targets, requests: int) -> PageResult:
    """Time ``requests`` GETs of ``page`` after a few warm-ups whose queries are counted.

    Query capture slows a request, so timed requests run without it.
    """
    result = PageResult(page.name, page.user, page.url)
    request = getattr(client, page.method)
    data = {"typing": "1"} if page.method == "post" else None
    if "{cursor}" in page.url and not targets.values["cursor"]:
        result.status, result.note = "skipped", "the inbox has a single page"
        return result
    counts: set[int] = set()
    for i in range(WARMUP):
        with CaptureQueriesContext(connection) as captured:
            response = request(targets.url(page.url, i), data, headers=page.headers(targets))
        if response.status_code not in page.statuses:
            result.status, result.note = "error", f"HTTP {response.status_code}"
            return result
        counts.add(len(captured.captured_queries))
    result.queries = "-".join(str(n) for n in sorted({min(counts), max(counts)}))
    result.slow_queries = sorted(
        captured.captured_queries, key=lambda q: float(q["time"]), reverse=True
    )[:2]
    timings = []
    cpu_started = time.process_time()
    for i in range(requests):
        url = targets.url(page.url, i)
        if page.busy:
            _change_somewhere(i)
        started = time.perf_counter()
        request(url, data, headers=page.headers(targets))
        timings.append((time.perf_counter() - started) * 1000)
    result.cpu_ms = round((time.process_time() - cpu_started) * 1000 / requests, 3)
    result.requests = requests
    result.p50_ms = round(statistics.median(timings), 2)
    result.p95_ms = round(statistics.quantiles(timings, n=20)[18], 2)
    return judged(result)


def _change_somewhere(i: int) -> None:
    """Stamp one conversation as changed, as a customer message or an assignment anywhere in
    the organisation would: every thousandth conversation in turn, most of them not the busy
    agent's."""
    last = Conversation.objects.aggregate(last=Max("pk"))["last"] or 0
    at_or_after = (
        Conversation.objects.filter(pk__gte=(i * 1000) % (last + 1)).order_by("pk").values("pk")
    )
    Conversation.objects.filter(pk__in=Subquery(at_or_after[:1])).update(changed_at=timezone.now())


def judged(result: PageResult) -> PageResult:
    """``result`` beside its page's goal, if it has one."""
    goal = GOALS.get(result.name)
    if goal is None or result.p95_ms is None:
        return result
    result.goal_p95_ms, result.goal_queries = goal.p95_ms, goal.queries
    result.goal_ratio = round(result.p95_ms / goal.p95_ms, 2)
    most_queries = int(result.queries.split("-")[-1])
    result.misses_goal = result.goal_ratio > 1 or (
        goal.queries is not None and most_queries > goal.queries
    )
    return result


def measure_pages(requests: int, only: list[str] | None = None) -> list[PageResult]:
    """Every page, or (``only``) the floor and the pages whose names contain one of those."""
    agent = User.objects.get(username=BUSY_AGENT)
    targets = find_targets(agent)
    clients = {"agent": signed_in(BUSY_AGENT), "admin": signed_in(ADMIN)}
    chosen = [
        p
        for p in PAGES
        if not only or p.name == FLOOR or any(part.lower() in p.name.lower() for part in only)
    ]
    return [measure_page(p, clients[p.user], targets, requests) for p in chosen]


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured query (SELECTs only: nothing is changed)."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())

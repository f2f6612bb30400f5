"""The plans that keep searches fast at ten million messages, pinned on PostgreSQL.

A test database is small, so the planner would scan any table whatever the indexes; with
sequential scans priced out (``enable_seqscan = off``) it shows which indexes a query can
start from. These tests check that each search starts from the index made for it, not from
a walk of every conversation, contact or message (what made them slow at scale).
"""

import pytest
from django.db import connection

from inbox.models import Conversation
from inbox.selectors.contacts import ContactFilters, contacts_filtered
from inbox.selectors.lists import search_q

from ..conftest import receive

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (query plans)"),
]


def plan(queryset) -> str:
    """The plan of ``queryset`` with sequential scans priced out."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    try:
        return queryset.explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = on")


@pytest.fixture
def conversations(alice_line):
    for i in range(20):
        receive(alice_line, f"+1202555{i:04d}", f"Order {i} please")


def my_inbox_search(user, text: str):
    return (
        Conversation.objects.filter(owner=user, last_inbound_at__isnull=False)
        .filter(search_q(text))
        .order_by("-last_activity_at", "-id")[:51]
    )


def test_search_by_phone_starts_from_the_contacts_phone_index(alice, conversations):
    explained = plan(my_inbox_search(alice, "+12025550007"))
    assert "contact_phone_trgm_idx" in explained
    assert "Seq Scan on inbox_conversation " not in explained


def test_contacts_search_by_phone_starts_from_the_phone_index(conversations):
    explained = plan(
        contacts_filtered(ContactFilters(q="202 555 0007")).order_by("-last_activity_at")[:51]
    )
    assert "contact_phone_trgm_idx" in explained
    assert "Seq Scan on inbox_contact " not in explained


def test_message_search_reads_a_rare_words_matches_by_id(admin, conversations):
    """An admin's search for an order number: the text index is asked for the matches
    alone (no order to walk the messages by), then those rows are read by id. Newest first
    over every message, the planner walked ten million messages by time for it."""
    from django.test.utils import CaptureQueriesContext

    from inbox.selectors.search import FEW, message_search

    with CaptureQueriesContext(connection) as captured:
        hits = message_search(user=admin, text="Order 7")
    assert [str(h.snippet) for h in hits] == ["<mark>Order</mark> <mark>7</mark> please"]
    first, rows = (q["sql"] for q in captured.captured_queries)
    assert "@@" in first and "ORDER BY" not in first and f"LIMIT {FEW}" in first
    assert "@@" not in rows and '"inbox_message"."id" IN (' in rows
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + rows)
        explained = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    assert "inbox_message_pkey" in explained
    assert "message_period_idx" not in explained


def list_plan(user, view) -> str:
    """The plan of a list's page query (``inbox_conversations``'s first query)."""
    from django.test.utils import CaptureQueriesContext

    from inbox.selectors.lists import InboxFilters, inbox_conversations

    with CaptureQueriesContext(connection) as captured:
        inbox_conversations(user=user, view=view, filters=InboxFilters())
    rows = next(q["sql"] for q in captured.captured_queries if "inbox_conversation" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + rows)
        explained = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return explained


@pytest.mark.parametrize("who", ["admin", "alice"])
def test_a_sender_ids_list_reads_its_listed_threads_by_their_index(
    request, who, alice_line, conversations
):
    """A campaign's unanswered threads are left out by the index itself (listed only): a
    list is never a walk past 100,000 of them."""
    from inbox.selectors.lists import InboxView

    explained = list_plan(request.getfixturevalue(who), InboxView("sender", sender=alice_line))
    assert "conv_sender_listed_idx" in explained
    assert "Seq Scan on inbox_conversation " not in explained


def test_all_conversations_reads_the_listed_threads_by_their_index(admin, conversations):
    from inbox.selectors.lists import InboxView

    explained = list_plan(admin, InboxView("all"))
    assert "conv_listed_activity_idx" in explained
    assert "Seq Scan on inbox_conversation " not in explained

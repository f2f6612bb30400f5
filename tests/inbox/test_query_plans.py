"""The plans that keep searches fast at ten million messages, pinned on PostgreSQL.

A test database is small, so the planner would scan any table whatever the indexes; with
sequential scans priced out (``enable_seqscan = off``) it shows which indexes a query can
start from. These tests check that each search starts from the index made for it, not from
a walk of every conversation, contact or message (what made them slow at scale).
"""

import pytest
from django.db import connection

from inbox.contact_selectors import ContactFilters, contacts_filtered
from inbox.models import Conversation
from inbox.selectors import search_q

from ..conftest import receive

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (query plans)"),
]


def plan(queryset) -> str:
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

"""The benchmark's data-set builder at a tiny size: right counts, summaries that match."""

import pytest
from django.db import connection
from django.db.models import Count, F, Max, Q

from bench import dataset
from inbox.models import Contact, ContactIdentity, Conversation, Message, SenderId, User

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (the builder uses COPY)"
    ),
]

SIZES = dataset.Sizes(conversations=50, messages=400)


@pytest.fixture
def counts(db) -> dict[str, int]:
    return dataset.populate(SIZES)


def test_it_builds_the_requested_numbers_of_rows(counts):
    assert Conversation.objects.count() == SIZES.conversations
    assert Message.objects.count() == SIZES.messages
    assert counts["inbox_message"] == SIZES.messages
    assert User.objects.filter(role="standard").count() == dataset.AGENTS
    assert SenderId.objects.count() == dataset.SENDERS
    assert Contact.objects.count() == counts["inbox_contact"]


def test_every_reference_points_at_a_row(counts):
    assert not Message.objects.exclude(conversation__in=Conversation.objects.all()).exists()
    assert not Conversation.objects.exclude(contact__in=Contact.objects.all()).exists()


def test_every_conversation_is_with_an_identity_of_its_contact_at_its_address(counts):
    assert not Conversation.objects.filter(identity__isnull=True).exists()
    assert not Conversation.objects.exclude(identity__contact=F("contact")).exists()
    assert not Conversation.objects.exclude(identity__address=F("customer_address")).exists()
    assert not Contact.objects.exclude(
        identities__kind="phone", identities__address=F("phone_e164")
    ).exists()
    assert counts["inbox_contactidentity"] == ContactIdentity.objects.count()


def test_summary_columns_agree_with_the_messages(counts):
    conversations = Conversation.objects.annotate(
        messages_count=Count("messages"),
        newest=Max("messages__created_at"),
        newest_in=Max("messages__created_at", filter=Q(messages__direction="in")),
        newest_out=Max("messages__created_at", filter=Q(messages__direction="out")),
    )
    for c in conversations:
        assert c.messages_count >= 1
        assert c.last_activity_at == c.newest
        assert c.last_inbound_at == c.newest_in
        assert c.last_outbound_at == c.newest_out
        last = c.messages.order_by("-created_at", "-id").first()
        assert c.last_message_direction == last.direction
        assert c.last_message_preview == " ".join(last.body.split())[:140]


def test_new_rows_get_ids_after_the_loaded_ones(counts, alice_line):
    conversation = Conversation.objects.create(
        contact=Contact.objects.create(phone_e164="+15005550006"), sender_id=alice_line
    )
    assert conversation.pk > SIZES.conversations


def test_contacts_are_ordered_by_their_newest_conversation(counts):
    newest = Contact.objects.annotate(at=Max("conversations__last_activity_at"))
    assert all(c.last_activity_at == c.at for c in newest)


def test_the_import_measure_runs_and_leaves_the_data_set_as_it_was(counts):
    from bench.contact_import import measure_import

    before = Contact.objects.count()
    result = measure_import(rows=300)
    assert result.errors == 3 and result.updated > 0
    assert result.created + result.updated + result.errors == 300
    assert Contact.objects.count() == before


def test_the_rules_measure_runs_in_constant_queries_and_keeps_no_rule(counts):
    from automation.models import Rule, RuleRun
    from bench.automation import measure_rules

    result = measure_rules(runs=3)
    assert result.rules == 200 and result.queries <= 5
    assert result.constant_queries and result.queries == result.queries_one_rule
    assert not Rule.objects.exists() and not RuleRun.objects.exists()

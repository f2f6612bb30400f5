"""The stored Twilio webhooks move from ``channels_sms`` to ``channels_twilio``: a payload no
worker has finished yet, and one already routed, are still there after the move, and the
worker's drain still finds the one that waits."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("channels_sms", "0002_claim_lease")]
AFTER = [("channels_sms", "0003_inbound_webhooks_moved_to_twilio")]


def migrate(targets, *, unapplied=()):
    """The database at ``targets`` (with the apps in ``unapplied`` at none of theirs), and
    the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([*((app, None) for app in unapplied), *targets])
    return executor.loader.project_state(targets).apps


@pytest.fixture
def stored_before_the_move(transactional_db):
    apps = migrate(BEFORE, unapplied=["channels_twilio"])
    InboundWebhook = apps.get_model("channels_sms", "InboundWebhook")
    InboundWebhook.objects.create(channel="sms", message_sid="SMwaiting", payload="Body=Hi")
    InboundWebhook.objects.create(
        channel="whatsapp",
        message_sid="SMdone",
        payload="Body=Hello",
        processed_at=timezone.now(),
        outcome="stored",
    )
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_every_stored_webhook_comes_through_the_move(stored_before_the_move):
    apps = migrate(AFTER)
    InboundWebhook = apps.get_model("channels_twilio", "InboundWebhook")
    assert InboundWebhook._meta.db_table == "channels_twilio_inboundwebhook"
    rows = InboundWebhook.objects.order_by("message_sid")
    assert [(r.message_sid, r.channel, r.payload, r.outcome) for r in rows] == [
        ("SMdone", "whatsapp", "Body=Hello", "stored"),
        ("SMwaiting", "sms", "Body=Hi", ""),
    ]
    waiting = InboundWebhook.objects.filter(processed_at__isnull=True)
    assert list(waiting.values_list("message_sid", flat=True)) == ["SMwaiting"]

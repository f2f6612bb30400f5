"""A real Celery worker, on Redis, sends a message end to end (no broker stand-in)."""

import pytest

from converse.celery import app as celery_app
from inbox.models import MessageStatus
from inbox.services.sending import message_send

from .factories import ConversationFactory
from .support.workers import require_redis_and_postgres, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    require_redis_and_postgres()
    celery_app.control.purge()
    with running_worker(SIMULATOR_STATUS_DELAY="0.2") as process:
        yield process


def test_a_real_worker_sends_a_message_and_the_simulator_reports_delivery(
    worker, alice, alice_line
):
    conversation = ConversationFactory(contact__phone_e164="+12025550123", sender_id=alice_line)
    message = message_send(conversation=conversation, author=alice, body="Through Redis")
    assert message.status == MessageStatus.QUEUED

    def delivered() -> bool:
        message.refresh_from_db()
        return message.status == MessageStatus.DELIVERED

    assert wait_for(delivered), f"message stuck in {message.status}"
    assert message.provider_sid.startswith("SM")
    assert message.sent_at <= message.delivered_at


def test_a_task_goes_to_one_queue_only():
    """Queues bound with the same routing key would each receive every task sent to either."""
    queues = celery_app.amqp.queues
    bindings = [(q.exchange.name, q.routing_key) for q in queues.values()]
    assert len(set(bindings)) == len(bindings) == len(queues)
    assert (
        celery_app.amqp.router.route({}, "channels_twilio.tasks.ingest_inbound")["queue"].name
        == "inbound"
    )
    assert (
        celery_app.amqp.router.route({}, "inbox.tasks.deliver_message")["queue"].name == "default"
    )


def test_a_message_held_while_no_worker_runs_goes_out_when_one_starts(alice, alice_line):
    """The worker is down at opening; its release task waits in Redis and runs on start."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from inbox.models import Message
    from inbox.services.held_messages import message_hold

    require_redis_and_postgres()
    celery_app.control.purge()
    conversation = ConversationFactory(contact__phone_e164="+12025550123", sender_id=alice_line)
    opening = timezone.now() + timedelta(seconds=1)
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            direction="out",
            author=alice,
            body="Held until opening",
            status=MessageStatus.QUEUED,
            channel=alice_line.channel,
        )
        message_hold(message=message, until=opening)
    # Opening passes with no worker running: the message is still held.
    assert wait_for(lambda: timezone.now() > opening + timedelta(seconds=1))
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SCHEDULED

    with running_worker(SIMULATOR_STATUS_DELAY="0.2"):

        def sent() -> bool:
            message.refresh_from_db()
            return message.provider_sid is not None

        assert wait_for(sent, timeout=90), f"message stuck in {message.status}"
    assert message.dispatch_started_at >= opening


def test_a_real_worker_computes_a_report_again_and_the_page_shows_the_new_figures(
    admin, alice_line, client, settings, shared_cache_on_redis
):
    """The page, the worker and their shared cache on Redis: older figures are shown while
    the worker computes the report again; the next view has its figures. Both read the
    real clock (the worker checks the figures are still old), so they are current 1 s."""
    import time

    from django.urls import reverse

    from tests.conftest import receive

    require_redis_and_postgres()
    celery_app.control.purge()
    settings.REPORTS_CACHE_SECONDS = 1
    client.force_login(admin)

    def opened() -> int:
        response = client.get(reverse("inbox:reports"), {"period": "today"})
        headline = response.context["report"].headline
        return next(f.value for f in headline if f.label == "Conversations opened")

    receive(alice_line, "+12025550300", "Hello")
    assert opened() == 1  # computed by the request and kept
    receive(alice_line, "+12025550301", "Hello")
    time.sleep(1.1)
    with running_worker(TEST_SHARED_CACHE_URL=settings.REDIS_URL, REPORTS_CACHE_SECONDS="1"):
        assert opened() == 1  # older, shown while the worker computes them again
        assert wait_for(lambda: opened() == 2), "the worker did not compute the report again"

"""Worker tasks reuse their database connection while it is healthy, and replace it when not."""

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_prerun
from django.db import connection

from converse.celery import app
from inbox.models import Message
from inbox.tasks import deliver_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: Django never finds a SQLite connection broken",
    ),
]


def run_task_hooks() -> None:
    """What a worker does around each task: Celery's Django fixup, then the signals."""
    fixup = DjangoWorkerFixup(app)
    fixup.close_database()
    task_prerun.send(sender=deliver_message, task_id="t", task=deliver_message)
    fixup.close_database()


def test_consecutive_tasks_share_one_database_connection():
    connection.close()  # a healthy connection to start from, whatever earlier tests left
    connection.ensure_connection()
    before = connection.connection

    run_task_hooks()
    run_task_hooks()

    assert connection.connection is before


def test_a_broken_database_connection_is_replaced_before_the_next_task():
    connection.ensure_connection()
    broken = connection.connection
    broken.close()  # as a database restart leaves it

    run_task_hooks()

    assert Message.objects.count() == 0  # the task's queries work
    assert connection.connection is not broken

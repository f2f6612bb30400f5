"""Rules and macros: helpers that make a rule as an admin and deliver events the way the
worker gets them (after commit, through the queued task)."""

import pytest

from automation.managing import rule_save
from inbox.happenings import Happening
from inbox.models import Label

from ..conftest import receive
from ..inbox.whatsapp_helpers import order_template, wa_line  # noqa: F401


@pytest.fixture
def make_rule(admin):
    def make(
        name="VIP to Alice",
        *,
        event=Happening.MESSAGE_RECEIVED,
        conditions=None,
        actions=(),
        position=0,
        by=None,
    ):
        return rule_save(
            by=by or admin,
            name=name,
            event=event,
            position=position,
            is_active=True,
            conditions=conditions or {},
            actions=list(actions),
        )

    return make


@pytest.fixture
def deliver(tasks, django_capture_on_commit_callbacks):
    """Deliver a customer message and run every task it queues (the rules' run included),
    with the tasks they queue in turn; returns the message."""

    def run(sender, customer, body="Hello"):
        with django_capture_on_commit_callbacks(execute=True):
            message = receive(sender, customer, body)
        run_queued(tasks, django_capture_on_commit_callbacks)
        return message

    return run


def run_queued(tasks, capture) -> None:
    """Run queued tasks, and what their commits queue, until nothing is left."""
    for _ in range(20):
        if not tasks.queued:
            return
        with capture(execute=True):
            tasks.run_all()


def vip(contact) -> None:
    contact.labels.add(Label.objects.get_or_create(name="vip")[0])

"""Two mail watcher processes (``manage.py watch_mailboxes``, as ``make run`` and production
run it) on a real dovecot and the test's PostgreSQL database: each mail stored once, within
seconds, and the survivor takes the mailbox over when the watcher holding it is killed."""

import signal

import pytest
from django.db import connection

from channels_email.models import Mailbox
from channels_email.parse import mail_sid
from channels_email.tasks import mailboxes_polled
from inbox.models import Message
from tests.support.workers import running_mail_watcher, wait_for

from .conftest import customer_mail

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_watchers_store_each_mail_once_and_one_takes_over_from_a_killed_one(
    world, mailbox, customer
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the watchers are started on its test database")
    # Short leases: a watcher killed in the middle of a read holds the mailbox's read for
    # MAILBOX_READ_LEASE_SECONDS (120 by default), as the watch for its watch lease.
    env = {
        "MAILBOX_WATCH_LEASE_SECONDS": "3",
        "MAILBOX_READ_LEASE_SECONDS": "3",
        "MAILBOX_POLL_SECONDS": "3600",
    }
    with running_mail_watcher(**env) as first, running_mail_watcher(**env) as second:

        def holder() -> str:
            return Mailbox.objects.get(pk=mailbox.pk).watched_by

        assert wait_for(lambda: holder() != "", timeout=60)
        held_by = holder()
        assert mailbox.pk not in mailboxes_polled()
        mails: list[str] = []

        def stored() -> int:
            return Message.objects.filter(provider_sid__in=mails).count()

        for n in range(2):
            mail = customer_mail(frm=customer, to=mailbox.sender.address, text=f"Mail {n}")
            world.dovecot.deliver(mailbox.sender.address, mail.as_bytes())
            mails.append(mail_sid(mail["Message-ID"].strip("<>")))
            assert wait_for(lambda: stored() == len(mails), timeout=30)
        # The holder dies without a word (kill -9): its lease runs out and the other
        # watcher takes the mailbox over; the next mail arrives through it.
        dead = first if str(first.pid) in held_by else second
        survivor = second if dead is first else first
        dead.send_signal(signal.SIGKILL)
        dead.wait(timeout=30)
        assert wait_for(lambda: str(survivor.pid) in holder(), timeout=60), holder()
        mail = customer_mail(frm=customer, to=mailbox.sender.address, text="After the kill")
        world.dovecot.deliver(mailbox.sender.address, mail.as_bytes())
        mails.append(mail_sid(mail["Message-ID"].strip("<>")))
        assert wait_for(lambda: stored() == 3, timeout=30)
    # Each mail once; stopped (SIGTERM), the survivor let the mailbox go to the poll.
    assert sorted(
        Message.objects.filter(provider_sid__in=mails).values_list("provider_sid", flat=True)
    ) == sorted(mails)
    assert Mailbox.objects.get(pk=mailbox.pk).watched_by == ""
    assert mailbox.pk in mailboxes_polled()

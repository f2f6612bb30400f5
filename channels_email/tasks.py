"""Beat reads every active mailbox every ``MAILBOX_POLL_SECONDS``, each in its own task,
except those the mail watcher holds over IMAP IDLE (``channels_email.watch``)."""

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from inbox.enqueue import enqueue

from .imap import mailbox_read
from .models import Mailbox


def mailboxes_polled() -> list[int]:
    """Active mailboxes no watcher holds (none runs, the server has no IDLE, or the
    connection dropped): the poll reads them."""
    return list(
        Mailbox.objects.filter(
            Q(watched_until__isnull=True) | Q(watched_until__lt=timezone.now()),
            sender__is_active=True,
        ).values_list("pk", flat=True)
    )


@shared_task
def read_mailboxes() -> None:
    for mailbox_id in mailboxes_polled():
        enqueue(read_mailbox, mailbox_id)


@shared_task
def read_mailbox(mailbox_id: int) -> int:
    return mailbox_read(mailbox_id)

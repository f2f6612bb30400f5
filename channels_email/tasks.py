"""Beat reads every active mailbox every ``MAILBOX_POLL_SECONDS``, each in its own task."""

from celery import shared_task

from inbox.enqueue import enqueue

from .imap import mailbox_read
from .models import Mailbox


@shared_task
def read_mailboxes() -> None:
    for mailbox_id in Mailbox.objects.filter(sender__is_active=True).values_list("pk", flat=True):
        enqueue(read_mailbox, mailbox_id)


@shared_task
def read_mailbox(mailbox_id: int) -> int:
    return mailbox_read(mailbox_id)

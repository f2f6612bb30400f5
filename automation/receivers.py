"""The automation app listens to the inbox's happenings and queues the rules' run."""

import uuid

from django.dispatch import receiver

from inbox.enqueue import enqueue
from inbox.happenings import conversation_happened

from .services import events_with_rules
from .tasks import run_rules


@receiver(conversation_happened)
def queue_rules(*, happening, conversation_id, message_id, cause, **_) -> None:
    """Queue the rules of ``happening`` for the worker, when any rule listens to it."""
    if happening not in events_with_rules():
        return
    enqueue(
        run_rules,
        happening,
        conversation_id,
        message_id,
        list(cause),
        uuid.uuid4().hex,
        later="the event is not automated",
    )

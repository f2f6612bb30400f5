"""What happened to a conversation, told once the change commits, for apps built on the
inbox (automation rules) to act on. The inbox fires these and never knows who listens.

Every receiver gets ``happening`` (a ``Happening``), ``conversation_id``, ``message_id``
(the customer message, for MESSAGE_RECEIVED), ``data`` (the label added, …) and ``cause``:
the ids of the automation rules whose actions are running when it happened (empty for a
person, a customer or the clock), so that a rule never triggers itself again.

Not to be confused with ``inbox.live_events.event_record``, which a service also calls: that
one tells open screens which conversations to redraw (every change a page shows: a read, a
note, a held message, a fetched attachment), stored in commit order for streams to resume
from; a happening is one of the few events the domain names, for code that acts on it, and
is never stored. A service that does both calls both, each for its own listeners.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models, transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)


class Happening(models.TextChoices):
    MESSAGE_RECEIVED = "message_received", "A customer message arrives"
    OPENED = "opened", "A conversation opens"
    ASSIGNED = "assigned", "A conversation is assigned"
    CLOSED = "closed", "A conversation is closed"
    REOPENED = "reopened", "A conversation is reopened"
    LABEL_ADDED = "label_added", "A label is added"
    OPTED_OUT = "opted_out", "A customer opts out"


conversation_happened = Signal()

_cause: ContextVar[tuple[int, ...]] = ContextVar("happening_cause", default=())


@contextmanager
def caused_by(rule_ids: tuple[int, ...]) -> Iterator[None]:
    """What happens inside is caused by the automation rules ``rule_ids`` (their chain)."""
    token = _cause.set(rule_ids)
    try:
        yield
    finally:
        _cause.reset(token)


def announce(
    happening: str, *, conversation_id: int, message_id: int | None = None, data: dict | None = None
) -> None:
    """Tell the receivers of ``conversation_happened`` once the current transaction commits
    (at once outside one); nothing is told for a change that rolls back.

    The change has committed by then: a receiver that fails (its broker down, say) is logged
    and fails alone, never the change that was told nor the other receivers."""
    cause = _cause.get()

    def send() -> None:
        told = conversation_happened.send_robust(
            sender=Happening,
            happening=happening,
            conversation_id=conversation_id,
            message_id=message_id,
            data=data or {},
            cause=cause,
        )
        for receiver, outcome in told:
            if isinstance(outcome, Exception):
                log.error(
                    "%s not told that %s happened to conversation %s",
                    getattr(receiver, "__qualname__", receiver),
                    happening,
                    conversation_id,
                    exc_info=outcome,
                )

    transaction.on_commit(send)

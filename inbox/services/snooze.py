"""Snooze (F-CO3): hide a conversation from its snoozer's My Inbox until a time or until the
customer writes; it then comes back unread, with an event in the thread.

The end time is stored on the conversation, so a restart loses nothing: beat runs
``snoozes_wake`` every minute and wakes every snooze whose time has passed.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..live_events import event_record
from ..models import Conversation, ConversationEvent, User
from ..models.people import zone_named
from .read_state import conversations_mark_read, conversations_mark_unread


class SnoozeRefused(Exception):
    """A snooze that cannot be set; the message is for the agent."""


def _local(at: datetime, user: User) -> str:
    local = at.astimezone(zone_named(user.time_zone))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def conversation_snooze(*, conversation: Conversation, by: User, until: datetime | None) -> None:
    """Snooze ``conversation`` for ``by`` until ``until`` (None: the customer's next message).

    It is marked read for ``by`` (they dealt with it for now) and leaves their My Inbox.
    """
    now = timezone.now()
    if until is not None and until <= now:
        raise SnoozeRefused("Pick a time in the future.")
    with transaction.atomic():
        Conversation.objects.filter(pk=conversation.pk).update(
            snoozed_by=by, snoozed_until=until, changed_at=now
        )
        conversation.snoozed_by, conversation.snoozed_until = by, until
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.SNOOZED,
            actor=by,
            body=f"until {_local(until, by)}" if until else "until the customer writes",
            data={"until": until.isoformat() if until else None},
        )
        event_record(kind="snooze", conversations=[conversation])
        conversations_mark_read(user=by, conversations=[conversation])


def snooze_end(conversation: Conversation, *, reason: str, actor: User | None = None) -> None:
    """Clear the snooze on the in-memory ``conversation`` and record why; the caller saves
    ``snoozed_by``/``snoozed_until`` with its own update (inside its transaction)."""
    ConversationEvent.objects.create(
        conversation=conversation, kind=ConversationEvent.Kind.WOKE, actor=actor, body=reason
    )
    conversation.snoozed_by = None
    conversation.snoozed_until = None
    event_record(kind="snooze", conversations=[conversation])


def conversation_unsnooze(*, conversation: Conversation, by: User) -> None:
    """End the snooze now, by hand."""
    if conversation.snoozed_by_id is None:
        raise SnoozeRefused("This conversation is not snoozed.")
    with transaction.atomic():
        snooze_end(conversation, reason="Snooze ended", actor=by)
        Conversation.objects.filter(pk=conversation.pk).update(
            snoozed_by=None, snoozed_until=None, changed_at=timezone.now()
        )


def snoozes_wake(*, now: datetime, limit: int = 500) -> int:
    """Wake the snoozes whose time has come: each conversation is unread again for its
    snoozer, with an event. Rows are claimed with ``SKIP LOCKED``, so two beats never wake
    one twice."""
    woken = 0
    with transaction.atomic():
        due = list(
            Conversation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(snoozed_until__lte=now)
            .select_related("snoozed_by")[:limit]
        )
        for conversation in due:
            snoozer = conversation.snoozed_by
            snooze_end(conversation, reason="The snooze time came")
            conversation.changed_at = now
            conversation.save(update_fields=["snoozed_by", "snoozed_until", "changed_at"])
            if snoozer is not None:
                conversations_mark_unread(user=snoozer, conversations=[conversation])
            woken += 1
    return woken

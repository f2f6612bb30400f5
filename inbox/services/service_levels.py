"""Service levels over time (F-CV5): due times counted in open hours, and live redraws as
waiting conversations age.

The waiting states themselves are derived in ``inbox.waiting``; closing, by hand or
automatically, is ``services.conversation_status``. Only open business hours count: a
customer who writes at 23:00 is not overdue at 23:06. So when a customer starts to wait,
the moments the wait starts to count, turns soon overdue and overdue, and the moment the
conversation would close by itself, are computed from the sender ID's hours and stored on
the conversation, where lists filter on them in SQL.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

from ..live_events import event_record
from ..models import Conversation, SenderId
from ..waiting import due_times, thresholds
from .business_hours import Hours, next_opening, open_time_reached, sender_hours


def _after_open_time(hours: Hours, start: datetime, wait: timedelta) -> datetime:
    # Hours that never open again count wall-clock time: a deadline must exist.
    return open_time_reached(hours, start, wait.total_seconds()) or start + wait


def waiting_due_fields(*, sender: SenderId, since: datetime) -> dict[str, datetime | None]:
    """The stored due times of a wait that began at ``since`` on ``sender``; None when it
    is open around the clock (wall-clock time from ``waiting_since`` then)."""
    hours = sender_hours(sender)
    if hours.always_open:
        return dict.fromkeys(("waiting_counts_from", "soon_overdue_at", "overdue_at"))
    soon, overdue = thresholds()
    return {
        "waiting_counts_from": next_opening(hours, since) or since,
        "soon_overdue_at": _after_open_time(hours, since, soon),
        "overdue_at": _after_open_time(hours, since, overdue),
    }


def auto_close_due(*, sender: SenderId, last_inbound_at: datetime) -> datetime | None:
    """When a conversation whose customer last wrote at ``last_inbound_at`` closes by itself;
    None when ``sender`` is open around the clock (counted from ``last_inbound_at`` then)."""
    hours = sender_hours(sender)
    if hours.always_open:
        return None
    wait = timedelta(seconds=settings.AUTO_CLOSE_AFTER_SECONDS)
    return _after_open_time(hours, last_inbound_at, wait)


def service_levels_tick(*, period_seconds: float, now: datetime | None = None) -> int:
    """Mark as changed the waiting conversations that became soon overdue or overdue.

    Waiting states are derived from the clock, so nothing else touches a conversation when
    it crosses a threshold; bumping ``changed_at`` lets every open inbox redraw it live.
    Run every ``period_seconds``; a window slightly longer than the period overlaps the
    previous run, which costs a harmless second bump, never a missed one.
    """
    now = now or timezone.now()
    window = timedelta(seconds=period_seconds * 1.5)
    crossed = Q()
    for due in due_times():
        crossed |= Q(LessThanOrEqual(due, now)) & Q(GreaterThan(due, now - window))
    with transaction.atomic():
        crossing = list(
            Conversation.objects.filter(crossed, waiting_since__isnull=False)
            .exclude(status=Conversation.Status.CLOSED)
            .values_list("pk", flat=True)
        )
        Conversation.objects.filter(pk__in=crossing).update(changed_at=now)
        event_record(kind="waiting", conversations=crossing)
    return len(crossing)

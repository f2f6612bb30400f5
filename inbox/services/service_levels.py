"""Service levels over time (F-CV5): live redraws as waiting conversations age.

The waiting states themselves are derived in ``inbox.waiting``; closing, by hand or
automatically, is ``services.conversation_status``.
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from ..models import Conversation
from ..waiting import thresholds


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
    for threshold in thresholds():
        crossed |= Q(waiting_since__lte=now - threshold, waiting_since__gt=now - threshold - window)
    return (
        Conversation.objects.filter(crossed, waiting_since__isnull=False)
        .exclude(status=Conversation.Status.CLOSED)
        .update(changed_at=now)
    )

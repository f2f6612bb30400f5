"""The backlog operators watch: inbound messages not routed yet, sends not handed to the
provider yet, and how recently a worker ran. Read by ``/readyz`` and the metrics."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce

from channels_twilio.ingest import MAX_ATTEMPTS
from channels_twilio.models import InboundWebhook
from inbox.models import Message, MessageStatus, WorkerHeartbeat


@dataclass(frozen=True)
class Backlog:
    inbound_waiting: int
    inbound_oldest_age: float | None  # seconds; None when nothing waits
    inbound_given_up: int  # failed MAX_ATTEMPTS times: left for a person
    sends_waiting: int
    sends_oldest_age: float | None
    heartbeat_age: float | None  # None: no worker ever beat


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max((now - then).total_seconds(), 0.0), 1)


def backlog_at(*, now: datetime) -> Backlog:
    """Three queries, each on a partial index of the rows still to do.

    A send waits when it is queued without a provider SID and due (not held for later: its
    pacing slot, retry time or release time has come); its age counts from when it was due.
    """
    inbound = InboundWebhook.objects.filter(processed_at__isnull=True).aggregate(
        waiting=Count("pk", filter=Q(attempts__lt=MAX_ATTEMPTS)),
        oldest=Min("received_at", filter=Q(attempts__lt=MAX_ATTEMPTS)),
        given_up=Count("pk", filter=Q(attempts__gte=MAX_ATTEMPTS)),
    )
    sends = (
        Message.objects.filter(status=MessageStatus.QUEUED, provider_sid__isnull=True)
        .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
        .aggregate(waiting=Count("pk"), oldest=Min(Coalesce("scheduled_for", "created_at")))
    )
    beaten = WorkerHeartbeat.objects.aggregate(newest=Max("beaten_at"))["newest"]
    return Backlog(
        inbound_waiting=inbound["waiting"],
        inbound_oldest_age=_age(now, inbound["oldest"]),
        inbound_given_up=inbound["given_up"],
        sends_waiting=sends["waiting"],
        sends_oldest_age=_age(now, sends["oldest"]),
        heartbeat_age=_age(now, beaten),
    )

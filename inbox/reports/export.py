"""The CSV export: one row per conversation opened in the period (and kept by the
filters), streamed as it is read."""

import csv
from collections.abc import Iterator

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from ..models import Conversation, Label, Message
from . import metrics
from .figures import filtered
from .periods import ReportQuery

HEADER = [
    "conversation id",
    "link",
    "contact name",
    "contact number",
    "sender ID",
    "channel",
    "team",
    "owner",
    "status",
    "labels",
    "opened at",
    "opened outside business hours",
    "first response at",
    "first response seconds",
    "closed at",
    "resolution seconds",
    "customer messages",
    "agent messages",
]
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value) -> str:
    """``value`` as a CSV cell that no spreadsheet reads as a formula: one starting with
    = + - @ (or a tab or carriage return) is prefixed with a single quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _count(kind) -> Coalesce:
    messages = (
        Message.objects.filter(kind, conversation=OuterRef("pk"))
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(messages), 0)


def export_rows(*, query: ReportQuery) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(
            filtered(query),
            first_inbound_at__gte=query.period.start,
            first_inbound_at__lt=query.period.end,
        )
        .select_related("contact", "sender_id", "team", "owner")
        .prefetch_related(Prefetch("contact__labels", queryset=Label.objects.order_by("name")))
        .annotate(
            response=metrics.response_seconds(),
            resolution=metrics.resolution_seconds(),
            customer_messages=_count(metrics.customer_messages_q()),
            agent_messages=_count(metrics.agent_messages_q()),
        )
        .order_by("first_inbound_at", "pk")
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_lines(*, query: ReportQuery, base_url: str) -> Iterator[str]:
    """The CSV, a line at a time, times in ISO 8601 in the period's time zone."""
    writer = csv.writer(_Echo())
    tz = query.period.tz

    def at(value):
        return timezone.localtime(value, tz).isoformat(timespec="seconds") if value else ""

    def seconds(value):
        return round(value) if value is not None else ""

    yield writer.writerow(HEADER)
    for c in export_rows(query=query).iterator(chunk_size=1000):
        resolved = c.status == Conversation.Status.CLOSED and c.closed_at
        row = [
            c.public_id,
            base_url + reverse("inbox:conversation", args=[c.public_id]),
            c.contact.display_name,
            c.customer_address,
            str(c.sender_id),
            c.sender_id.get_channel_display(),
            c.team.name if c.team else "",
            str(c.owner) if c.owner else "",
            c.get_status_display(),
            ", ".join(label.name for label in c.contact.labels.all()),
            at(c.first_inbound_at),
            "yes" if c.opened_after_hours else "no",
            at(c.first_response_at),
            seconds(c.response),
            at(c.closed_at) if resolved else "",
            seconds(c.resolution) if resolved else "",
            c.customer_messages,
            c.agent_messages,
        ]
        yield writer.writerow([safe(value) for value in row])

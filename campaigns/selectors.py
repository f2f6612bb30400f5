"""What the campaign pages read: figures in one query, recipients a page at a time."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from inbox.models import Message, MessageDirection, MessageStatus, User
from inbox.pure.csv_cells import csv_safe

from .models import Campaign, Exclusion, Recipient

PAGE_SIZE = 50
_SENT = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)
_DELIVERED = (MessageStatus.DELIVERED, MessageStatus.READ)
_FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)


def _replied() -> Exists:
    """A customer message in the recipient's thread after the campaign's."""
    return Exists(
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            direction=MessageDirection.INBOUND,
            created_at__gt=OuterRef("message__created_at"),
        )
    )


def _figure_q(now: datetime) -> dict[str, Q]:
    """Each figure's recipients, in the page's order."""
    return {
        "audience": Q(),
        "planned": Q(state=Recipient.State.PLANNED),
        "held": Q(state=Recipient.State.PLANNED, held_until__gt=now),
        "sent": Q(message__status__in=_SENT),
        "delivered": Q(message__status__in=_DELIVERED),
        "read": Q(message__status=MessageStatus.READ),
        "failed": Q(state=Recipient.State.FAILED) | Q(message__status__in=_FAILED),
        "replied": Q(_replied()),
        "opted_out": Q(
            message__isnull=False, contact__sms_opted_out_at__gt=F("message__created_at")
        ),
        "cancelled": Q(state=Recipient.State.CANCELLED),
        **{f"excluded_{r.value}": Q(exclusion=r.value) for r in Exclusion},
    }


FIGURE_NAMES = {
    "audience": "Audience",
    "planned": "Waiting to send",
    "held": "Held (quiet or business hours)",
    "sent": "Sent",
    "delivered": "Delivered",
    "read": "Read",
    "failed": "Failed",
    "replied": "Replied",
    "opted_out": "Opted out since",
    "cancelled": "Cancelled",
    **{f"excluded_{r.value}": r.label for r in Exclusion},
}


def _rows(campaign: Campaign) -> QuerySet[Recipient]:
    return Recipient.objects.filter(campaign=campaign).annotate(replied=_replied())


def figures_counted(*, campaign: Campaign, now: datetime) -> dict:
    """Every figure of the campaign page (and the list's count of recipients), with the ten
    commonest reasons of failure: two queries, reading every recipient (the worker's work,
    see ``figures``)."""
    figures = {
        name: Count("pk", filter=q) if q else Count("pk") for name, q in _figure_q(now).items()
    }
    figures["recipients"] = Count("pk", filter=~Q(state=Recipient.State.EXCLUDED))
    counted = Recipient.objects.filter(campaign=campaign).aggregate(**figures)
    failures = (
        Recipient.objects.filter(campaign=campaign)
        .filter(Q(state=Recipient.State.FAILED) | Q(message__status__in=_FAILED))
        .values("failure", "message__error_code")
        .annotate(count=Count("pk"))
        .order_by("-count", "failure", "message__error_code")[:10]
    )
    counted["failures"] = [
        {"reason": f["failure"] or f["message__error_code"] or "unknown", "count": f["count"]}
        for f in failures
    ]
    return counted


@dataclass(frozen=True)
class RecipientPage:
    rows: list[Recipient]
    next_after: int | None


def campaign_recipients(
    *, campaign: Campaign, figure: str, after: int = 0, now: datetime | None = None
) -> RecipientPage:
    """One page of the recipients behind ``figure`` (keyset on the id): two queries. The
    page's ids first, read in order from an index, then their rows with what they show:
    joined first, a campaign just planned (its statistics not yet gathered) had every
    recipient joined and sorted to keep fifty."""
    q = _figure_q(now or timezone.now()).get(figure, Q())
    ids = list(
        Recipient.objects.filter(q, campaign=campaign, pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[: PAGE_SIZE + 1]
    )
    rows = list(
        _rows(campaign)
        .filter(pk__in=ids)
        .select_related("contact", "message", "sender", "conversation")
        .only(
            "public_id",
            "address",
            "state",
            "exclusion",
            "held_until",
            "held_reason",
            "failure",
            "conversation__public_id",
            "contact__display_name",
            "contact__phone_e164",
            "contact__public_id",
            "message__status",
            "message__error_code",
            "message__created_at",
            "sender__label",
            "sender__address",
        )
        .order_by("pk")
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return RecipientPage(rows=rows, next_after=rows[-1].pk if more else None)


def campaigns_visible(user: User) -> QuerySet[Campaign]:
    """The campaigns ``user`` may open (the list, a page): an admin all, anyone else their
    own. Their figures are read from their rows (``figures``), never counted here."""
    qs = Campaign.objects.select_related("owner")
    return qs if user.is_admin else qs.filter(owner=user)


EXPORT_HEADER = [
    "Contact", "Number", "Sender ID", "Outcome", "Excluded because", "Held until",
    "Why held", "Failed because", "Message status", "Error code", "Replied",
]  # fmt: skip


def campaign_export_rows(*, campaign: Campaign) -> Iterator[list[str]]:
    """One row per recipient, in id order, read in chunks (memory stays flat); formula-safe
    cells (``inbox.pure.csv_cells.csv_safe``)."""
    yield EXPORT_HEADER
    rows = (
        _rows(campaign)
        .select_related("contact", "message", "sender")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )
    for r in rows:
        message = r.message
        yield [
            csv_safe(value)
            for value in (
                r.contact.shown_name,
                r.address,
                r.sender.address if r.sender else "",
                r.get_state_display(),
                r.get_exclusion_display() if r.exclusion else "",
                r.held_until.isoformat() if r.held_until and r.state == "planned" else "",
                r.held_reason if r.state == "planned" else "",
                r.failure,
                message.get_status_display() if message else "",
                message.error_code if message else "",
                "yes" if r.replied else "",
            )
        ]


# The reports offer the campaigns started most lately, at most this many.
REPORT_CHOICES = 100


def report_choices() -> list[tuple[str, str]]:
    """The campaigns the reports can be narrowed to, as (public id, name): those planned
    (sent, or sending), newest first; one query."""
    return list(
        Campaign.objects.filter(planned_at__isnull=False)
        .order_by("-planned_at", "-pk")
        .values_list("public_id", "name")[:REPORT_CHOICES]
    )


def conversations_opened_by_replies(public_id: str) -> QuerySet:
    """The conversations a reply to campaign ``public_id`` opened: threads it was sent in
    whose customer first wrote after it (a thread already going when it joined is not one).
    Their ids, for the reports' queries to ask inside their own."""
    return Recipient.objects.filter(
        campaign__public_id=public_id,
        conversation__isnull=False,
        conversation__first_inbound_at__gte=F("released_at"),
    ).values("conversation_id")

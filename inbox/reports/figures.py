"""The report page's figures, each an aggregate query: headline figures for the period and
the one before, a day-by-day (or hour-by-hour) series, the customer-message heatmap, and
tables per agent and per sender ID. Every number carries the link to the conversations it
counts (the ``All conversations`` list with the report filters of ``drilldown``)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from ..models import (
    Channel,
    Conversation,
    Message,
    MessageDayTally,
    MessageTally,
    SenderId,
    User,
)
from ..models.conversations import tally_moved_q
from . import metrics, origins
from .drilldown import WEEKDAYS
from .periods import Period, ReportQuery


@dataclass
class Figure:
    label: str
    value: float | None
    previous: float | None
    url: str
    kind: str = "count"  # count, seconds or share
    note: str = ""

    @property
    def shown(self) -> str:
        return show(self.value, self.kind)

    @property
    def change(self) -> str:
        """The change against the previous period, in words."""
        if self.value is None or self.previous is None:
            return "no figure for the previous period"
        if self.kind == "share":
            points = round((self.value - self.previous) * 100)
            return f"{points:+d} points" if points else "no change"
        if not self.previous:
            return "none before" if self.value else "no change"
        percent = round((self.value - self.previous) / self.previous * 100)
        return f"{percent:+d} %" if percent else "no change"


def show(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return f"{value * 100:.0f} %"
    if kind == "seconds":
        return duration(value)
    return f"{value:,.0f}"


def duration(seconds: float) -> str:
    """Seconds as people read them: 45 s, 4 min 12 s, 3 h 20 min, 2 d 5 h."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s} s" if s else f"{minutes} min"
    hours, m = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {m} min" if m else f"{hours} h"
    days, h = divmod(hours, 24)
    return f"{days} d {h} h" if h else f"{days} d"


@dataclass
class Row:
    """One line of the per-agent or per-sender table."""

    name: str
    cells: list[tuple[str, str]] = field(default_factory=list)  # (shown, url)


@dataclass
class Report:
    query: ReportQuery
    headline: list[Figure]
    series: dict
    heatmap: list[dict]
    agents: list[Row]
    senders: list[Row]
    choices: dict
    computed_at: datetime
    refreshing: bool = False  # older than current; a worker computes them again


def filtered(query: ReportQuery, prefix: str = "") -> Q:
    """The report's filters on conversations (agent = the conversation's owner);
    ``prefix`` reaches the conversation through a relation."""
    lookups = {"team_id": query.team, "owner_id": query.agent}
    return (
        Q(**{prefix + k: v for k, v in lookups.items() if v})
        & _sender_filtered(query, f"{prefix}sender_id__")
        & origins.campaign_q(query.campaign, prefix)
    )


def _sender_filtered(query: ReportQuery, prefix: str) -> Q:
    """The sender ID and channel filters; ``prefix`` reaches the sender ID."""
    lookups = {"public_id": query.sender, "channel": query.channel}
    return Q(**{prefix + k: v for k, v in lookups.items() if v})


def _messages(query: ReportQuery) -> QuerySet[Message]:
    return Message.objects.filter(filtered(query, "conversation__"))


@dataclass(frozen=True)
class Counted:
    """Where the heatmap counts customer messages: ``rows`` with a time column ``at``, the
    customer messages among them as a filter, and ``n`` the aggregate that counts them (a
    tally row stands for its number of messages, a message for one)."""

    rows: QuerySet
    at: str
    customer: Q
    tallied: bool

    def n(self) -> Count | Sum:
        return Sum("messages", default=0) if self.tallied else Count(self.at)


def counted(query: ReportQuery) -> Counted:
    """The tally (per quarter hour and channel) unless a filter is about what it does not
    keep: the sender ID, the conversation's current team or owner, or a campaign. Those read the
    messages of the conversations the filters keep, which are a part of all of them (the
    day tally keeps the sender ID and owner, but not the hour)."""
    if query.sender or query.team or query.agent or query.campaign:
        return Counted(_messages(query), "created_at", metrics.customer_messages_q(), False)
    tally = MessageTally.objects.filter(**({"channel": query.channel} if query.channel else {}))
    return Counted(tally, "bucket", Q(kind=MessageTally.Kind.CUSTOMER), tallied=True)


def _between(column: str, period: Period) -> Q:
    return Q(**{f"{column}__gte": period.start, f"{column}__lt": period.end})


class Links:
    """URLs of the All conversations list, narrowed to what one figure counts."""

    def __init__(self, query: ReportQuery) -> None:
        self.base = reverse("inbox:all_conversations")
        self.common = query.filter_params()
        self.period = query.period

    def __call__(self, period: Period | None = None, **params) -> str:
        period = period or self.period
        chosen = self.common | period.as_params() | {k: str(v) for k, v in params.items()}
        return f"{self.base}?{urlencode(chosen)}"

    def day(self, day: date, **params) -> str:
        return self(Period(day, day, self.period.tz), **params)


def _conversation_figures(base: QuerySet, period: Period, now: datetime) -> dict:
    """Opened (and outside business hours), answered in time / late / not, response and
    resolution times, for
    ``period`` and the one before, in one query."""
    aggregates = {}
    for suffix, p in (("", period), ("_prev", period.previous)):
        opened = _between("first_inbound_at", p)
        aggregates |= {
            f"opened{suffix}": Count("pk", filter=opened),
            f"after_hours{suffix}": Count("pk", filter=opened & metrics.after_hours_q()),
            f"within{suffix}": Count("pk", filter=opened & metrics.answered_within_q()),
            f"late{suffix}": Count("pk", filter=opened & metrics.answered_late_q()),
            f"unanswered{suffix}": Count("pk", filter=opened & metrics.unanswered_q()),
            f"due{suffix}": Count("pk", filter=opened & metrics.due_q(now=now)),
            f"frt_p50{suffix}": metrics.Percentile(
                metrics.response_seconds(), fraction=0.5, filter=opened & metrics.answered_q()
            ),
            f"frt_p90{suffix}": metrics.Percentile(
                metrics.response_seconds(), fraction=0.9, filter=opened & metrics.answered_q()
            ),
            f"resolution{suffix}": metrics.Percentile(
                metrics.resolution_seconds(), fraction=0.5, filter=opened & metrics.resolved_q()
            ),
        }
    both = Q(first_inbound_at__gte=period.previous.start, first_inbound_at__lt=period.end)
    return base.filter(both).aggregate(**aggregates)


def _share(within: int, due: int) -> float | None:
    return within / due if due else None


def headline(query: ReportQuery, *, now: datetime, counts: list[dict]) -> list[Figure]:
    """The headline figures; ``counts`` are the period's ``table_counts``."""
    period, link = query.period, Links(query)
    base = Conversation.objects.filter(filtered(query))
    c = _conversation_figures(base, period, now)
    totals = _message_totals(query, counts)
    opt_outs = base.filter(
        contact__consents__kind="opt_out",
        contact__consents__at__gte=period.previous.start,
        contact__consents__at__lt=period.end,
    ).aggregate(
        now=Count("pk", distinct=True, filter=_between("contact__consents__at", period)),
        prev=Count("pk", distinct=True, filter=_between("contact__consents__at", period.previous)),
    )
    figures = [
        Figure("Conversations opened", c["opened"], c["opened_prev"], link(on="opened")),
        Figure(
            "Opened outside business hours",
            _share(c["after_hours"], c["opened"]),
            _share(c["after_hours_prev"], c["opened_prev"]),
            link(on="opened", hours="closed"),
            kind="share",
            note="first message while the sender ID was closed",
        ),
        Figure(
            "Customer messages", totals["customer"], totals["customer_prev"], link(on="customer")
        ),
        Figure("Agent messages", totals["agent"], totals["agent_prev"], link(on="agent")),
        Figure(
            "First response, median",
            c["frt_p50"],
            c["frt_p50_prev"],
            link(on="opened", answer="answered"),
            kind="seconds",
        ),
        Figure(
            "First response, 90th percentile",
            c["frt_p90"],
            c["frt_p90_prev"],
            link(on="opened", answer="answered"),
            kind="seconds",
        ),
        Figure(
            "Resolution time, median",
            c["resolution"],
            c["resolution_prev"],
            link(on="opened", status="closed"),
            kind="seconds",
        ),
        Figure(
            "Answered within the service level",
            _share(c["within"], c["due"]),
            _share(c["within_prev"], c["due_prev"]),
            link(on="opened", answer="within"),
            kind="share",
            note=f"first response within {metrics.duration_words()}",
        ),
        Figure("Answered late", c["late"], c["late_prev"], link(on="opened", answer="late")),
        Figure(
            "Unanswered", c["unanswered"], c["unanswered_prev"], link(on="opened", answer="none")
        ),
        Figure("Opt-outs", opt_outs["now"], opt_outs["prev"], link(on="optout")),
    ]
    return figures


def _message_totals(query: ReportQuery, counts: list[dict]) -> dict:
    """Customer and agent messages in the period (``counts``: its ``table_counts``) and the
    one before. With a filter, the sums of ``table_counts``, so the headline is the sum of
    the tables' cells; with none, the quarter-hour tally (the same numbers, without reading
    the messages at the period's edges)."""
    if query.team or query.agent or query.sender or query.channel or query.campaign:
        before = table_counts(query, query.period.previous)
        return {
            f"{kind}{suffix}": sum(row[kind] for row in rows)
            for suffix, rows in (("", counts), ("_prev", before))
            for kind in ("customer", "agent")
        }
    period = query.period
    return MessageTally.objects.filter(
        bucket__gte=period.previous.start, bucket__lt=period.end
    ).aggregate(
        **{
            f"{kind.value}{suffix}": Sum(
                "messages", filter=Q(kind=kind) & _between("bucket", p), default=0
            )
            for kind in MessageTally.Kind
            for suffix, p in (("", period), ("_prev", period.previous))
        }
    )


def _nearest_midnight(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    midnight = datetime.combine(at.date(), time.min, UTC)
    return midnight + timedelta(days=1) if at - midnight > timedelta(hours=12) else midnight


def _tallied_days(query: ReportQuery, period: Period) -> tuple[datetime, datetime]:
    """The UTC days whose day tally counts for ``period`` (as a start and an end): from the
    UTC midnight nearest its start to the one nearest its end, so that at most twelve hours
    at each edge are read from the messages. With a team or campaign filter, which the
    tally cannot answer, no days (an empty span at the period's end): every message of the
    conversations kept is read."""
    if query.team or query.campaign:
        return period.end, period.end
    return _nearest_midnight(period.start), _nearest_midnight(period.end)


def table_counts(query: ReportQuery, period: Period) -> list[dict]:
    """``period``'s customer and agent messages by sender ID and owner (the conversation's
    current one) under ``query``'s filters, for the tables and the filtered headline, in one
    query: the day tally for the UTC days of ``_tallied_days``; the messages themselves for
    the hours at the period's edges (the admin's midnight need not be UTC's), added where
    the period reaches beyond those days and taken off where they reach beyond it; and, for
    conversations reassigned since the tally counted them, their messages in those days
    taken off the owner they were counted under and given to the current one. Rows of
    ``sender``, ``owner`` (None: unassigned), ``customer``, ``agent``."""
    first, last = _tallied_days(query, period)
    in_days = Q(created_at__gte=first, created_at__lt=last)
    customer, agent = metrics.customer_messages_q(), metrics.agent_messages_q()

    def messages(where: Q, owner, sign: int = 1) -> QuerySet:
        return (
            Message.objects.filter(where)
            .order_by()
            .values(sender_pk=F("conversation__sender_id"), owner_pk=owner)
            .annotate(
                customer=Count("created_at", filter=customer) * sign,
                agent=Count("created_at", filter=agent) * sign,
            )
        )

    days = (
        MessageDayTally.objects.filter(
            _sender_filtered(query, "sender__"),
            day__gte=first.date(),
            day__lt=last.date(),
            **({"owner": query.agent} if query.agent else {}),
        )
        .order_by()
        .values(sender_pk=F("sender_id"), owner_pk=F("owner"))
        .annotate(
            customer=Sum("messages", filter=Q(kind=MessageTally.Kind.CUSTOMER), default=0),
            agent=Sum("messages", filter=Q(kind=MessageTally.Kind.AGENT), default=0),
        )
    )
    owner_now = Coalesce("conversation__owner", 0)
    # An edge from a later to an earlier time holds no message.
    beyond_days = Q(created_at__gte=period.start, created_at__lt=first) | Q(
        created_at__gte=last, created_at__lt=period.end
    )
    beyond_period = Q(created_at__gte=first, created_at__lt=period.start) | Q(
        created_at__gte=period.end, created_at__lt=last
    )
    moved = (
        in_days
        & Q(conversation__in=Conversation.objects.filter(tally_moved_q()))
        & _sender_filtered(query, "conversation__sender_id__")
    )
    taken_off = moved & Q(**({"conversation__tallied_owner": query.agent} if query.agent else {}))
    given = moved & Q(**({"conversation__owner": query.agent} if query.agent else {}))
    rows = days.union(
        messages(filtered(query, "conversation__") & beyond_days, owner_now),
        messages(filtered(query, "conversation__") & beyond_period, owner_now, -1),
        messages(taken_off, F("conversation__tallied_owner"), -1),
        messages(given, owner_now),
        all=True,
    )
    return [
        {"sender": r["sender_pk"], "owner": r["owner_pk"] or None}
        | {k: r[k] for k in ("customer", "agent")}
        for r in rows
    ]


def _sums(counts: list[dict], column: str) -> dict:
    """The message counts of ``table_counts`` added up per ``column`` (sender ID or owner)."""
    sums: dict = {}
    for row in counts:
        into = sums.setdefault(row[column], {"customer": 0, "agent": 0})
        into["customer"] += row["customer"]
        into["agent"] += row["agent"]
    return sums


def series(query: ReportQuery, *, tz) -> dict:
    """Conversations opened per day (per hour for one day) by channel, and the median first
    response of each day's (hour's) conversations, in one query."""
    period, link = query.period, Links(query)
    bucket = (
        ExtractHour("first_inbound_at", tzinfo=tz)
        if period.hourly
        else TruncDate("first_inbound_at", tzinfo=tz)
    )
    rows = {
        row["bucket"]: row
        for row in Conversation.objects.filter(
            filtered(query), _between("first_inbound_at", period)
        )
        .annotate(bucket=bucket)
        .order_by()
        .values("bucket")
        .annotate(
            **{
                f"n_{value}": Count("pk", filter=Q(sender_id__channel=value))
                for value in Channel.values
            },
            answered=Count("pk", filter=metrics.answered_q()),
            frt=metrics.Percentile(
                metrics.response_seconds(), fraction=0.5, filter=metrics.answered_q()
            ),
        )
    }
    if period.hourly:
        buckets = list(range(24))
        labels = [f"{h:02d}:00" for h in buckets]
        day = period.first

        def url(b, **params):
            return link.day(day, hour=b, **params)
    else:
        buckets = period.days
        labels = [d.strftime("%a %-d %b") for d in buckets]

        def url(b, **params):
            return link.day(b, **params)

    channels = [
        {
            "label": label,
            "data": [rows.get(b, {}).get(f"n_{value}", 0) for b in buckets],
            "links": [url(b, on="opened", channel=value) for b in buckets],
        }
        for value, label in Channel.choices
    ]
    frt = [rows.get(b, {}).get("frt") for b in buckets]
    frt_links = [url(b, on="opened", answer="answered") for b in buckets]
    table = [
        {
            "label": label,
            "cells": [(ch["data"][i], ch["links"][i]) for ch in channels],
            "frt": (duration(frt[i]) if frt[i] is not None else "–", frt_links[i]),
        }
        for i, label in enumerate(labels)
    ]
    return {
        "table": table,
        "labels": labels,
        "volume": channels,
        "frt": {
            "data": [round(s / 60, 1) if s is not None else None for s in frt],
            "shown": [duration(s) if s is not None else "–" for s in frt],
            "links": frt_links,
        },
        "unit": "hour" if period.hourly else "day",
    }


def heatmap(query: ReportQuery, *, tz) -> list[dict]:
    """Customer messages in the period by weekday (Monday first) and hour, as table rows
    whose cells carry a count, a shade (0 to 5) and a link."""
    link = Links(query)
    source = counted(query)
    counts = {
        (row["weekday"], row["hour"]): row["n"]
        for row in source.rows.filter(source.customer, _between(source.at, query.period))
        .annotate(
            weekday=ExtractIsoWeekDay(source.at, tzinfo=tz),
            hour=ExtractHour(source.at, tzinfo=tz),
        )
        .order_by()
        .values("weekday", "hour")
        .annotate(n=source.n())
    }
    top = max(counts.values(), default=0)
    rows = []
    for weekday, name in enumerate(WEEKDAYS, start=1):
        cells = []
        for hour in range(24):
            n = counts.get((weekday, hour), 0)
            cells.append(
                {
                    "n": n,
                    "shade": 0 if not n else 1 + (4 * n) // top if top else 0,
                    "url": link(on="customer", weekday=weekday, hour=hour) if n else "",
                    "label": f"{n} customer messages on {name}s at {hour:02d}:00",
                }
            )
        rows.append({"name": name[:3], "cells": cells})
    return rows


def _table_figures(qs: QuerySet, column: str, period: Period, now: datetime) -> dict:
    opened = _between("first_inbound_at", period)
    return {
        row[column]: row
        for row in qs.filter(opened)
        .order_by()
        .values(column)
        .annotate(
            opened=Count("pk"),
            within=Count("pk", filter=metrics.answered_within_q()),
            due=Count("pk", filter=metrics.due_q(now=now)),
            frt=metrics.Percentile(
                metrics.response_seconds(), fraction=0.5, filter=metrics.answered_q()
            ),
        )
    }


def agent_table(
    query: ReportQuery, *, now: datetime, counts: list[dict], people: dict[int, User]
) -> list[Row]:
    """Per agent (the conversations' owner): conversations opened, agent messages in them,
    median first response, share answered within the service level."""
    period, link = query.period, Links(query)
    figures = _table_figures(Conversation.objects.filter(filtered(query)), "owner_id", period, now)
    replies = {k: v["agent"] for k, v in _sums(counts, "owner").items() if v["agent"]}
    rows = []
    for owner_id in sorted(set(figures) | set(replies), key=lambda pk: str(people.get(pk, ""))):
        f = figures.get(owner_id, {})
        assignee = owner_id or "none"
        name = str(people[owner_id]) if owner_id in people else "Unassigned"
        rows.append(
            Row(
                name,
                [
                    (show(f.get("opened", 0), "count"), link(on="opened", assignee=assignee)),
                    (show(replies.get(owner_id, 0), "count"), link(on="agent", assignee=assignee)),
                    (
                        show(f.get("frt"), "seconds"),
                        link(on="opened", answer="answered", assignee=assignee),
                    ),
                    (
                        show(_share(f.get("within", 0), f.get("due", 0)), "share"),
                        link(on="opened", answer="within", assignee=assignee),
                    ),
                ],
            )
        )
    return rows


def sender_table(
    query: ReportQuery, *, now: datetime, counts: list[dict], senders: dict[int, SenderId]
) -> list[Row]:
    """Per sender ID: conversations opened, customer and agent messages, median first
    response, share answered within the service level."""
    period, link = query.period, Links(query)
    figures = _table_figures(Conversation.objects.filter(filtered(query)), "sender_id", period, now)
    per_sender = _sums(counts, "sender")
    rows = []
    ids = {pk for pk, r in per_sender.items() if r["customer"] or r["agent"]} | set(figures)
    for pk in sorted(ids, key=lambda pk: str(senders.get(pk, ""))):
        if pk not in senders:
            continue
        f, m, sender = figures.get(pk, {}), per_sender.get(pk, {}), senders[pk]
        rows.append(
            Row(
                str(sender),
                [
                    (show(f.get("opened", 0), "count"), link(on="opened", sender=sender.public_id)),
                    (
                        show(m.get("customer", 0), "count"),
                        link(on="customer", sender=sender.public_id),
                    ),
                    (show(m.get("agent", 0), "count"), link(on="agent", sender=sender.public_id)),
                    (
                        show(f.get("frt"), "seconds"),
                        link(on="opened", answer="answered", sender=sender.public_id),
                    ),
                    (
                        show(_share(f.get("within", 0), f.get("due", 0)), "share"),
                        link(on="opened", answer="within", sender=sender.public_id),
                    ),
                ],
            )
        )
    return rows


def computed(query: ReportQuery, *, people: dict[int, User], senders: dict[int, SenderId]) -> dict:
    """The figures of the page (everything but its filter choices), as of now."""
    now = timezone.now()
    tz = query.period.tz
    counts = table_counts(query, query.period)
    return {
        "headline": headline(query, now=now, counts=counts),
        "series": series(query, tz=tz),
        "heatmap": heatmap(query, tz=tz),
        "agents": agent_table(query, now=now, counts=counts, people=people),
        "senders": sender_table(query, now=now, counts=counts, senders=senders),
        "computed_at": now,
    }

"""The inbox list's report filters: the conversations behind one figure, bar or cell.

``on`` says what the period (``since``…``until``, days in the reader's time zone) and the
optional ``weekday`` (1 = Monday) and ``hour`` apply to:

- ``opened``: the customer's first message (the default);
- ``customer`` / ``agent``: a customer / agent message in the conversation;
- ``optout``: the customer opting out.

``answer`` keeps conversations answered within the service level, late, or not at all;
``hours=closed`` those opened outside business hours; ``team`` those of one team;
``campaign`` those opened by replies to one campaign (``origins``). Each rule is the one
``inbox.reports.metrics`` defines.
"""

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import formats, timezone

from ..models import ConsentRecord, Message
from ..pure.params import param_id, param_int
from . import metrics, origins
from .periods import day_start

ON = {
    "opened": "opened",
    "customer": "with a customer message",
    "agent": "with an agent message",
    "optout": "whose customer opted out",
}
ANSWERS = {
    "answered": "answered",
    "within": "answered in time",
    "late": "answered late",
    "none": "unanswered",
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
HOURS = {"closed": "outside business hours"}
FIELDS = ("team", "on", "since", "until", "weekday", "hour", "answer", "hours", "campaign")


def params_from_query(params: QueryDict) -> dict[str, str]:
    """The report filters among ``params``; a value that does not parse is dropped."""

    def get(name: str) -> str:
        return params.get(name, "").strip()[:12]

    def number(name: str, low: int, high: int) -> str:
        value = param_int(get(name), low=low, high=high)
        return "" if value is None else str(value)

    since, until = _day(get("since")), _day(get("until"))
    if since and until and until < since:
        since = until = None
    return {
        "team": str(param_id(get("team")) or ""),
        "on": on if (on := get("on")) in ON else "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
        "weekday": number("weekday", 1, 7),
        "hour": number("hour", 0, 23),
        "answer": a if (a := get("answer")) in ANSWERS else "",
        "hours": h if (h := get("hours")) in HOURS else "",
        "campaign": params.get("campaign", "").strip()[:16],
    }


def _day(raw: str) -> date | None:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2999 else None


def _moment(column: str, f) -> dict:
    """Lookups on ``column`` for the period, weekday and hour (in the current time zone)."""
    tz = timezone.get_current_timezone()
    lookups = {}
    if f.since:
        lookups[f"{column}__gte"] = day_start(date.fromisoformat(f.since), tz)
    if f.until:
        lookups[f"{column}__lt"] = day_start(date.fromisoformat(f.until) + timedelta(days=1), tz)
    if f.weekday:
        lookups[f"{column}__iso_week_day"] = int(f.weekday)
    if f.hour:
        lookups[f"{column}__hour"] = int(f.hour)
    return lookups


def apply(qs: QuerySet, f) -> QuerySet:
    """``qs`` narrowed by the report filters of ``f`` (an ``InboxFilters``)."""
    if f.team:
        qs = qs.filter(team_id=int(f.team))
    if f.answer:
        qs = qs.filter(metrics.ANSWER_STATES[f.answer]())
    if f.hours:
        qs = qs.filter(metrics.after_hours_q())
    if f.campaign:
        qs = qs.filter(origins.campaign_q(f.campaign))
    on = f.on or "opened"
    moment = f.since or f.until or f.weekday or f.hour
    if on == "opened" and moment:
        qs = qs.filter(**_moment("first_inbound_at", f))
    elif on in ("customer", "agent"):
        kind = metrics.customer_messages_q() if on == "customer" else metrics.agent_messages_q()
        messages = Message.objects.filter(
            kind, conversation=OuterRef("pk"), **_moment("created_at", f)
        )
        qs = qs.filter(Exists(messages))
    elif on == "optout":
        opt_outs = ConsentRecord.objects.filter(
            Q(kind=ConsentRecord.Kind.OPT_OUT), contact=OuterRef("contact"), **_moment("at", f)
        )
        qs = qs.filter(Exists(opt_outs))
    return qs


def describe(f) -> str:
    """The report filters of ``f`` in words, for the list's header ("" when none)."""
    parts = []
    if f.on or f.since or f.until or f.weekday or f.hour:
        when = ON[f.on or "opened"]
        if f.since or f.until:
            first = formats.date_format(date.fromisoformat(f.since or f.until), "j M Y")
            last = formats.date_format(date.fromisoformat(f.until or f.since), "j M Y")
            when += f" {first}" if first == last else f" {first} – {last}"
        if f.weekday:
            when += f", {WEEKDAYS[int(f.weekday) - 1]}s"
        if f.hour:
            when += f", {int(f.hour):02d}:00–{int(f.hour):02d}:59"
        parts.append(when[0].upper() + when[1:])
    if f.answer:
        parts.append(ANSWERS[f.answer])
    if f.hours:
        parts.append(HOURS[f.hours])
    if f.campaign:
        name = origins.campaign_name(f.campaign)
        parts.append(
            f"opened by replies to “{name}”" if name else "opened by replies to a campaign"
        )
    described = " · ".join(parts)
    return described[:1].upper() + described[1:]

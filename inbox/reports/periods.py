"""The report's period (today, 7 days, 30 days or custom days, in the admin's time zone)
and its filters (team, agent, sender ID, channel, campaign), parsed from GET parameters."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.http import QueryDict
from django.utils import timezone

from ..models import Channel
from ..pure.params import param_id

PRESETS = {"today": 1, "7d": 7, "30d": 30}
PRESET_CHOICES = [("today", "Today"), ("7d", "7 days"), ("30d", "30 days"), ("custom", "Custom")]
LONGEST_PERIOD_DAYS = 366


def day_start(day: date, tz: tzinfo) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), tz)


@dataclass(frozen=True)
class Period:
    """Whole days ``first``…``last`` in ``tz``: from the start of ``first`` to the start of
    the day after ``last``."""

    first: date
    last: date
    tz: tzinfo

    @property
    def start(self) -> datetime:
        return day_start(self.first, self.tz)

    @property
    def end(self) -> datetime:
        return day_start(self.last + timedelta(days=1), self.tz)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def hourly(self) -> bool:
        """A single day is drawn hour by hour."""
        return self.first == self.last

    @property
    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        length = timedelta(days=len(self.days))
        return Period(self.first - length, self.last - length, self.tz)

    def as_params(self) -> dict[str, str]:
        """The period as the inbox list's filters read it."""
        return {"since": self.first.isoformat(), "until": self.last.isoformat()}


@dataclass(frozen=True)
class ReportQuery:
    """What the admin asked for: a period, optional filters, and any error in the request."""

    preset: str
    period: Period
    team: int | None = None
    agent: int | None = None
    sender: str = ""
    channel: str = ""
    # A campaign's public id: the conversations opened by replies to it (``origins``).
    campaign: str = ""
    error: str = ""

    @classmethod
    def from_query(cls, params: QueryDict, *, tz: tzinfo, today: date) -> "ReportQuery":
        """Bad values are dropped with an error for the page; a bad period falls back to
        the last 7 days."""
        preset = params.get("period", "7d")
        error = ""
        period = None
        if preset == "custom":
            period, error = _custom_period(params, tz=tz)
        elif preset not in PRESETS:
            error = "Choose today, 7 days, 30 days or custom dates."
        if period is None:
            preset = preset if preset in PRESETS else "7d"
            period = Period(today - timedelta(days=PRESETS[preset] - 1), today, tz)
        return cls(
            preset=preset,
            period=period,
            team=param_id(params.get("team")),
            agent=param_id(params.get("agent")),
            sender=params.get("sender", "").strip()[:16],
            channel=c if (c := params.get("channel", "")) in Channel.values else "",
            campaign=params.get("campaign", "").strip()[:16],
            error=error,
        )

    def filter_params(self) -> dict[str, str]:
        """The filters as the inbox list's parameters (agent → assignee)."""
        params = {
            "team": str(self.team or ""),
            "assignee": str(self.agent or ""),
            "sender": self.sender,
            "channel": self.channel,
            "campaign": self.campaign,
        }
        return {k: v for k, v in params.items() if v}

    def as_params(self) -> dict[str, str]:
        """The request that shows this report again (for the export link)."""
        params = {"period": self.preset}
        if self.preset == "custom":
            params |= {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()}
        filters = {
            "team": str(self.team or ""),
            "agent": str(self.agent or ""),
            "sender": self.sender,
            "channel": self.channel,
            "campaign": self.campaign,
        }
        return params | {k: v for k, v in filters.items() if v}


def _custom_period(params: QueryDict, *, tz: tzinfo) -> tuple[Period | None, str]:
    try:
        first = date.fromisoformat(params.get("from", ""))
        last = date.fromisoformat(params.get("to", ""))
    except ValueError:
        return None, "Give both dates of a custom period (YYYY-MM-DD)."
    if first.year < 2000 or last.year > 2999:
        return None, "Choose dates between the years 2000 and 2999."
    if last < first:
        return None, "The period's last day comes before its first."
    if (last - first).days >= LONGEST_PERIOD_DAYS:
        return None, f"A period is at most {LONGEST_PERIOD_DAYS} days long."
    return Period(first, last, tz), ""

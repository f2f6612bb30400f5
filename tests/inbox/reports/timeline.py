"""Hand-built timelines: customers write and agents answer at chosen minutes after T0
(Monday 2 November 2026, 09:00 UTC), through the real inbound and sending services."""

from datetime import UTC, date, datetime, timedelta

import time_machine

from inbox.models import Conversation
from inbox.reports.periods import Period, ReportQuery
from inbox.services.sending import message_send
from tests.conftest import receive

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 2)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def customer_writes(sender, phone: str, minutes: float, body: str = "Hello") -> Conversation:
    with time_machine.travel(at(minutes), tick=False):
        return receive(sender, phone, body).conversation


def agent_replies(conversation: Conversation, author, minutes: float) -> None:
    conversation.refresh_from_db()
    with time_machine.travel(at(minutes), tick=False):
        message_send(conversation=conversation, author=author, body="Reply")


def query(first: date = DAY, last: date | None = None, **filters) -> ReportQuery:
    return ReportQuery(preset="custom", period=Period(first, last or first, UTC), **filters)

"""The message tally the report counts from: the same numbers as counting the messages
themselves, in any time zone (half-hour and quarter-hour offsets, a DST day), at bucket
edges, and kept exactly as messages are stored, redelivered, stored late or cancelled."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Sum

from inbox.models import Channel, Conversation, Message, MessageDayTally, MessageTally, SenderId
from inbox.reports import metrics
from inbox.reports.figures import headline, heatmap, table_counts
from inbox.reports.periods import Period, ReportQuery, day_start
from inbox.reports.tally import tally_owners_settle, tally_rebuild
from inbox.services.held_messages import held_message_cancel
from inbox.services.sending import message_send

from ...conftest import receive
from ..hours_support import london, set_office_hours

DAYS = {
    "UTC": date(2026, 11, 2),
    "Asia/Kolkata": date(2026, 11, 2),  # +5:30
    "Asia/Kathmandu": date(2026, 11, 2),  # +5:45
    "Europe/London": date(2026, 10, 25),  # clocks go back: 01:00-02:00 happens twice
}


def instants(tz: ZoneInfo, day: date) -> list[datetime]:
    """Times on and just inside the edges of the day, its hours and UTC quarter hours."""
    start, end = day_start(day, tz), day_start(day + timedelta(days=1), tz)
    tick = timedelta(microseconds=1)
    times = [start - tick, start, start + tick, end - tick, end, end + tick]
    times += [start + timedelta(hours=h) + d for h in (1, 2, 7, 13) for d in (-tick, tick * 0)]
    times += [start + timedelta(minutes=15 * q) + d for q in (37, 38) for d in (-tick, tick * 0)]
    times += [start + timedelta(hours=30), start - timedelta(hours=20)]
    return times


def build(alice, line, tz: ZoneInfo, day: date) -> None:
    """Customers write at every instant (some stored late); alice answers half of them."""
    for n, written in enumerate(instants(tz, day)):
        with time_machine.travel(written + timedelta(minutes=40), tick=False):
            message = receive(line, f"+1202555{n:04d}", received_at=written)
        if n % 2:
            with time_machine.travel(written, tick=False):
                message_send(conversation=message.conversation, author=alice, body="On it")


def direct(period: Period, tz: ZoneInfo, **only) -> tuple[dict, Counter]:
    """The counts straight from the messages, by the metrics' definitions, of the
    conversations whose fields have the values ``only`` gives."""
    totals: Counter = Counter()
    cells: Counter = Counter()
    for m in Message.objects.select_related("conversation"):
        if any(getattr(m.conversation, field) != value for field, value in only.items()):
            continue
        kind = (
            "customer"
            if metrics.is_customer_message(m)
            else "agent"
            if metrics.is_agent_message(m)
            else None
        )
        for suffix, p in (("", period), ("_prev", period.previous)):
            if kind and p.start <= m.created_at < p.end:
                totals[kind + suffix] += 1
        if kind == "customer" and period.start <= m.created_at < period.end:
            local = m.created_at.astimezone(tz)
            cells[(local.isoweekday(), local.hour)] += 1
    return totals, cells


TOTALS = ("customer", "customer_prev", "agent", "agent_prev")


def message_totals(q: ReportQuery) -> dict:
    """The headline's customer and agent messages, for the period and the one before."""
    shown = {
        f.label: f
        for f in headline(q, now=q.period.end + timedelta(days=3), counts=table_counts(q, q.period))
    }
    return {
        key: getattr(
            shown[f"{key.split('_')[0].title()} messages"], "previous" if "_" in key else "value"
        )
        for key in TOTALS
    }


@pytest.mark.parametrize("zone", DAYS)
def test_tally_counts_equal_the_messages_counted_one_by_one(zone, alice, alice_line):
    tz, day = ZoneInfo(zone), DAYS[zone]
    build(alice, alice_line, tz, day)
    for first, last in ((day, day), (day - timedelta(days=1), day + timedelta(days=1))):
        period = Period(first, last, tz)
        q = ReportQuery(preset="custom", period=period)
        totals, cells = direct(period, tz)
        assert message_totals(q) == {k: totals[k] for k in TOTALS}
        drawn = {
            (weekday, hour): cell["n"]
            for weekday, row in enumerate(heatmap(q, tz=tz), start=1)
            for hour, cell in enumerate(row["cells"])
            if cell["n"]
        }
        assert drawn == dict(cells)
        assert totals["customer"] > 0 and (totals["customer_prev"] > 0 or first != last)


def test_the_hour_a_dst_day_repeats_holds_both_of_its_messages(alice, alice_line):
    tz = ZoneInfo("Europe/London")
    first_time = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    again = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    for n, written in enumerate((first_time, again)):
        receive(alice_line, f"+120255501{n:02d}", received_at=written)
    q = ReportQuery(preset="custom", period=Period(date(2026, 10, 25), date(2026, 10, 25), tz))
    assert heatmap(q, tz=tz)[6]["cells"][1]["n"] == 2  # Sunday, 01:00


def rows() -> set[tuple]:
    return set(MessageTally.objects.values_list("bucket", "channel", "kind", "messages"))


def test_a_rebuild_from_the_messages_finds_what_the_services_kept(alice, alice_line):
    build(alice, alice_line, ZoneInfo("Asia/Kolkata"), DAYS["Asia/Kolkata"])
    kept = rows()
    assert (
        sum(n for *_, n in kept)
        == Message.objects.filter(
            metrics.customer_messages_q() | metrics.agent_messages_q()
        ).count()
    )
    tally_rebuild()
    assert rows() == kept
    tally_rebuild()
    assert rows() == kept


def test_a_redelivered_webhook_counts_once_and_a_late_one_in_its_quarter_hour(alice_line):
    written = datetime(2026, 11, 2, 9, 14, 59, tzinfo=UTC)
    with time_machine.travel(written + timedelta(hours=3), tick=False):
        receive(alice_line, "+12025550100", sid="SMsame", received_at=written)
        receive(alice_line, "+12025550100", sid="SMsame", received_at=written)
    assert rows() == {(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), "sms", "customer", 1)}


def test_a_cancelled_held_message_is_taken_off_the_tally(
    alice, alice_line, django_capture_on_commit_callbacks
):
    set_office_hours()
    with time_machine.travel(london(2026, 12, 4, 17, 0), tick=False):
        conversation = receive(alice_line, "+12025550123", "Where is my parcel?").conversation
    with (
        time_machine.travel(london(2026, 12, 4, 19, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        held = message_send(conversation=conversation, author=alice, body="It left today")
    counts = dict(MessageTally.objects.values_list("kind").annotate(n=Sum("messages")))
    assert counts == {"customer": 1, "agent": 1}
    held_message_cancel(message=held, by=alice)
    counts = dict(MessageTally.objects.values_list("kind").annotate(n=Sum("messages")))
    assert counts == {"customer": 1, "agent": 0}


def by_sender_and_owner(rows: list[dict]) -> dict:
    totals: Counter = Counter()
    for r in rows:
        totals[(r["sender"], r["owner"], "customer")] += r["customer"]
        totals[(r["sender"], r["owner"], "agent")] += r["agent"]
    return {k: n for k, n in totals.items() if n}


def direct_tables(period: Period, **only) -> dict:
    """The period's messages by the conversation's sender ID and current owner, one by one."""
    totals: Counter = Counter()
    for m in Message.objects.select_related("conversation"):
        c = m.conversation
        if not period.start <= m.created_at < period.end:
            continue
        if any(getattr(c, field) != value for field, value in only.items()):
            continue
        kind = "customer" if metrics.is_customer_message(m) else "agent"
        if kind == "customer" or metrics.is_agent_message(m):
            totals[(c.sender_id_id, c.owner_id, kind)] += 1
    return dict(totals)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_the_tables_count_each_conversation_under_its_owner_now(
    zone, alice, bob, alice_line, bob_line
):
    tz, day = ZoneInfo(zone), DAYS[zone]
    for first_day in (day, day + timedelta(days=1)):
        build(alice, alice_line, tz, first_day)
    build(bob, bob_line, tz, day)
    period = Period(day - timedelta(days=1), day + timedelta(days=2), tz)
    moved = Message.objects.filter(conversation__sender_id=alice_line).first().conversation
    Conversation.objects.filter(pk=moved.pk).update(owner=bob)  # by any path: none tells us

    def check():
        everything = ReportQuery(preset="custom", period=period)
        assert by_sender_and_owner(table_counts(everything, period)) == direct_tables(period)
        for agent in (alice, bob):
            one = ReportQuery(preset="custom", period=period, agent=agent.pk)
            assert by_sender_and_owner(table_counts(one, period)) == direct_tables(
                period, owner_id=agent.pk
            )
        line = ReportQuery(preset="custom", period=period, sender=alice_line.public_id)
        assert by_sender_and_owner(table_counts(line, period)) == direct_tables(
            period, sender_id_id=alice_line.pk
        )

    check()  # the report adds the moves the tally has not made yet
    assert tally_owners_settle() > 0
    assert tally_owners_settle() == 0
    check()
    settled = set(MessageDayTally.objects.values_list("day", "sender", "owner", "kind", "messages"))
    tally_rebuild()
    rebuilt = set(MessageDayTally.objects.values_list("day", "sender", "owner", "kind", "messages"))
    assert {r for r in settled if r[-1]} == rebuilt
    check()


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York"])
def test_the_filtered_headline_counts_the_messages_of_both_periods_one_by_one(
    zone, alice, bob, alice_line, bob_line, support_team
):
    """Under each filter the headline's message totals (the tables' counts: the day tally,
    the messages at the edges of the admin's days, east and west of UTC, the reassignments
    not settled yet) are the messages counted one by one, for the period and the one before
    (in New York, 1 November 2026 has 25 hours)."""
    tz, day = ZoneInfo(zone), date(2026, 11, 2)
    SenderId.objects.filter(pk=bob_line.pk).update(channel=Channel.WHATSAPP)
    bob_line.refresh_from_db()
    for built in (day - timedelta(days=2), day, day + timedelta(days=1)):
        build(alice, alice_line, tz, built)
    build(bob, bob_line, tz, day - timedelta(days=1))
    period = Period(day, day + timedelta(days=1), tz)  # the one before: the two days before
    # Alice's conversation of seven in the morning writes on whole UTC days of both periods.
    moved = Conversation.objects.get(sender_id=alice_line, customer_address="+12025550011")
    assert moved.owner == alice
    Conversation.objects.filter(pk=moved.pk).update(owner=bob)  # the tally still says alice
    Conversation.objects.filter(sender_id=bob_line).update(team=support_team)
    filters = [
        ({"agent": alice.pk}, {"owner_id": alice.pk}),
        ({"agent": bob.pk}, {"owner_id": bob.pk}),
        ({"sender": alice_line.public_id}, {"sender_id_id": alice_line.pk}),
        ({"channel": Channel.WHATSAPP}, {"sender_id_id": bob_line.pk}),
        (
            {"agent": bob.pk, "channel": Channel.SMS},
            {"owner_id": bob.pk, "sender_id_id": alice_line.pk},
        ),
        ({"team": support_team.pk}, {"team_id": support_team.pk}),
    ]

    def check():
        for asked, conversations in filters:
            q = ReportQuery(preset="custom", period=period, **asked)
            totals, _ = direct(period, tz, **conversations)
            assert message_totals(q) == {k: totals[k] for k in TOTALS}, asked
            tables = table_counts(q, period)
            assert message_totals(q)["agent"] == sum(r["agent"] for r in tables)

    check()
    by_bob, _ = direct(period, tz, owner_id=bob.pk)
    assert by_bob["customer"] and by_bob["customer_prev"] and by_bob["agent_prev"]
    assert tally_owners_settle() > 0
    check()

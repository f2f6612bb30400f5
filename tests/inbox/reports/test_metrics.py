"""Each report definition pinned on a hand-built timeline (``inbox.reports.metrics``)."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import Value

from inbox.models import AutoKind, Conversation, HoursMode, Message, MessageDirection
from inbox.reports import metrics
from inbox.reports.figures import headline, table_counts
from inbox.reports.periods import Period
from inbox.services.consent import contact_consent_change
from inbox.services.conversations import conversation_start
from inbox.services.sending import message_send_automatic

from ..hours_support import set_office_hours
from .timeline import DAY, agent_replies, at, customer_writes, query

pytestmark = pytest.mark.django_db


def figures(q, minutes: float = 24 * 60) -> dict:
    with time_machine.travel(at(minutes), tick=False):
        shown = headline(q, now=at(minutes), counts=table_counts(q, q.period))
    return {f.label: f for f in shown}


def test_first_response_is_the_first_agent_message_after_the_first_customer_message(
    alice, alice_line
):
    c = customer_writes(alice_line, "+12025550001", 0)
    agent_replies(c, alice, 4)
    agent_replies(c, alice, 9)
    customer_writes(alice_line, "+12025550001", 20)
    c.refresh_from_db()
    assert (c.first_inbound_at, c.first_response_at) == (at(0), at(4))


def test_outreach_before_the_customer_writes_is_not_a_response(alice, alice_line):
    with time_machine.travel(at(-30), tick=False):
        c, _ = conversation_start(user=alice, sender=alice_line, phone="+12025550002", body="Hi")
    c.refresh_from_db()
    assert (c.first_inbound_at, c.first_response_at) == (None, None)
    customer_writes(alice_line, "+12025550002", 0)
    agent_replies(c, alice, 4)
    c.refresh_from_db()
    assert (c.first_inbound_at, c.first_response_at) == (at(0), at(4))


def test_automatic_replies_are_not_a_response(alice, alice_line, tasks):
    c = customer_writes(alice_line, "+12025550004", 0, body="HELP")
    assert Message.objects.filter(conversation=c, direction=MessageDirection.OUTBOUND).exists()
    with time_machine.travel(at(1), tick=False):
        message_send_automatic(conversation=c, body="We open at nine.", kind=AutoKind.OUT_OF_HOURS)
    c.refresh_from_db()
    assert c.first_response_at is None
    agent_replies(c, alice, 7)
    c.refresh_from_db()
    assert c.first_response_at == at(7)


def test_a_late_stored_earlier_customer_message_moves_the_first_times(alice, alice_line):
    c = customer_writes(alice_line, "+12025550005", 10)
    agent_replies(c, alice, 12)
    customer_writes(alice_line, "+12025550005", 0)  # posted at minute 0, stored after
    c.refresh_from_db()
    assert (c.first_inbound_at, c.first_response_at) == (at(0), at(12))


def test_rebuild_gives_what_the_services_keep(alice, bob, alice_line, bob_line):
    a = customer_writes(alice_line, "+12025550006", 0)
    agent_replies(a, alice, 3)
    customer_writes(bob_line, "+12025550007", 5)
    kept = list(
        Conversation.objects.order_by("pk").values_list("first_inbound_at", "first_response_at")
    )
    Conversation.objects.update(first_inbound_at=None, first_response_at=None)
    metrics.first_times_rebuild(Conversation.objects.all())
    assert (
        list(
            Conversation.objects.order_by("pk").values_list("first_inbound_at", "first_response_at")
        )
        == kept
        == [(at(0), at(3)), (at(5), None)]
    )


def test_service_level_edges_within_late_and_unanswered(settings, alice, alice_line):
    settings.OVERDUE_AFTER_SECONDS = 300
    on_time = customer_writes(alice_line, "+12025550010", 0)
    agent_replies(on_time, alice, 5)  # exactly the threshold: within
    late = customer_writes(alice_line, "+12025550011", 0)
    agent_replies(late, alice, 5 + 1 / 60)  # one second over
    customer_writes(alice_line, "+12025550012", 0)  # never answered
    f = figures(query())
    assert f["Answered late"].value == 1
    assert f["Unanswered"].value == 1
    assert f["Answered within the service level"].value == pytest.approx(1 / 3)
    assert f["Conversations opened"].value == 3


def test_a_customer_still_inside_the_threshold_counts_neither_way(settings, alice, alice_line):
    settings.OVERDUE_AFTER_SECONDS = 300
    c = customer_writes(alice_line, "+12025550013", 0)
    agent_replies(c, alice, 2)
    customer_writes(alice_line, "+12025550014", 10)
    assert figures(query(), minutes=14)["Answered within the service level"].value == 1
    assert figures(query(), minutes=15)["Answered within the service level"].value == 0.5


def test_response_times_median_and_90th_percentile(alice, alice_line):
    for n, minutes in enumerate([1, 2, 3, 4, 10]):
        c = customer_writes(alice_line, f"+1202555002{n}", 0)
        agent_replies(c, alice, minutes)
    f = figures(query())
    assert f["First response, median"].value == pytest.approx(180)
    assert f["First response, 90th percentile"].value == pytest.approx(456)  # 4 + 0.6 * 6 min
    assert f["First response, median"].shown == "3 min"


def test_resolution_time_counts_conversations_closed_now(alice, alice_line):
    closed = customer_writes(alice_line, "+12025550030", 0)
    Conversation.objects.filter(pk=closed.pk).update(
        status=Conversation.Status.CLOSED, closed_at=at(90)
    )
    customer_writes(alice_line, "+12025550031", 0)  # still open: not resolved
    assert figures(query())["Resolution time, median"].value == pytest.approx(90 * 60)


def test_messages_counted_by_who_wrote_them(alice, alice_line, tasks):
    c = customer_writes(alice_line, "+12025550040", 0)
    customer_writes(alice_line, "+12025550040", 1, body="HELP")  # the answer is automatic
    agent_replies(c, alice, 2)
    f = figures(query())
    assert (f["Customer messages"].value, f["Agent messages"].value) == (2, 1)


def test_change_against_the_previous_period(alice, alice_line):
    customer_writes(alice_line, "+12025550050", -24 * 60)  # the day before
    customer_writes(alice_line, "+12025550051", 0)
    customer_writes(alice_line, "+12025550052", 1)
    opened = figures(query())["Conversations opened"]
    assert (opened.value, opened.previous, opened.change) == (2, 1, "+100 %")


def test_opt_outs_in_the_period(alice, alice_line):
    c = customer_writes(alice_line, "+12025550060", 0)
    with time_machine.travel(at(5), tick=False):
        contact_consent_change(contact=c.contact, conversation=c, opted_out=True, source="keyword")
    assert figures(query())["Opt-outs"].value == 1
    assert figures(query(DAY + timedelta(days=1)))["Opt-outs"].value == 0


def test_filters_keep_one_agents_conversations(alice, bob, alice_line, bob_line):
    customer_writes(alice_line, "+12025550070", 0)
    customer_writes(bob_line, "+12025550071", 0)
    assert figures(query(agent=bob.pk))["Conversations opened"].value == 1
    assert figures(query(sender=alice_line.public_id))["Conversations opened"].value == 1


def test_periods_are_whole_days_in_the_admins_time_zone():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("America/New_York")
    p = Period(DAY, DAY, tz)
    assert p.start.utcoffset() == timedelta(hours=-5)
    assert (p.end - p.start) == timedelta(days=1)
    assert p.previous.last == DAY - timedelta(days=1)


def test_percentile_matches_percentile_cont(alice, alice_line):
    customer_writes(alice_line, "+12025550080", 0)
    values = Conversation.objects.annotate(v=Value(1.0)).aggregate(
        p=metrics.Percentile("v", fraction=0.5)
    )
    assert values["p"] == 1.0
    with pytest.raises(ValueError):
        metrics.Percentile("v", fraction=2)


def test_opened_outside_business_hours_is_decided_at_the_first_message(alice_line):
    set_office_hours()  # London, weekdays from 09:00 (T0, a Monday)
    before = customer_writes(alice_line, "+12025550080", -1)  # 08:59: still closed
    after = customer_writes(alice_line, "+12025550081", 1)  # 09:01: open
    customer_writes(alice_line, "+12025550080", 5)  # a later message changes nothing
    customer_writes(alice_line, "+12025550082", -24 * 60 + 1)  # Sunday 09:01: closed
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.opened_after_hours, after.opened_after_hours) == (True, False)
    share = figures(query())["Opened outside business hours"]
    assert (share.value, share.previous, share.change) == (0.5, 1.0, "-50 points")


def test_a_sender_id_open_around_the_clock_never_opens_after_hours(alice_line):
    set_office_hours()
    alice_line.hours = HoursMode.ALWAYS
    alice_line.save(update_fields=["hours"])
    customer_writes(alice_line, "+12025550083", -1)
    assert figures(query())["Opened outside business hours"].value == 0


def test_with_business_hours_off_nothing_opens_after_hours(alice_line):
    customer_writes(alice_line, "+12025550084", -1)
    customer_writes(alice_line, "+12025550085", -9 * 60)  # midnight
    assert not Conversation.objects.filter(opened_after_hours=True).exists()
    assert figures(query())["Opened outside business hours"].value == 0

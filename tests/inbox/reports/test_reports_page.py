"""The reports page, its drill-down links into the list, and the CSV export."""

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.urls import reverse

from inbox.models import Conversation

from ..hours_support import set_office_hours
from .timeline import DAY, agent_replies, at, customer_writes

pytestmark = pytest.mark.django_db

REPORT = reverse("inbox:reports")
EXPORT = reverse("inbox:reports_export")
ON_THE_DAY = {"period": "custom", "from": DAY.isoformat(), "to": DAY.isoformat()}


@pytest.fixture
def timeline(settings, alice, bob, alice_line, bob_line):
    """Three conversations on 2 November: one answered in time, two late, one unanswered."""
    settings.OVERDUE_AFTER_SECONDS = 300
    in_time = customer_writes(alice_line, "+12025550100", 0)
    agent_replies(in_time, alice, 2)
    late = [
        customer_writes(alice_line, "+12025550101", 60),
        customer_writes(bob_line, "+12025550102", 300),
    ]
    agent_replies(late[0], alice, 70)
    agent_replies(late[1], bob, 320)
    unanswered = customer_writes(bob_line, "+12025550103", 400)
    return {"in_time": in_time, "late": late, "unanswered": unanswered}


def get_report(client, params=ON_THE_DAY):
    with time_machine.travel(at(24 * 60), tick=False):
        return client.get(REPORT, params)


def figure(response, label):
    return next(f for f in response.context["report"].headline if f.label == label)


def list_ids(client, url) -> list[str]:
    with time_machine.travel(at(24 * 60), tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return sorted(c.public_id for c in response.context["conversations"])


def test_only_admins_see_reports(client, admin, alice):
    assert client.get(REPORT).status_code == 302
    assert client.get(EXPORT).status_code == 302
    client.force_login(alice)
    for url in (REPORT, EXPORT):
        response = client.get(url)
        assert response.status_code == 403
        page = response.content.decode()
        assert "<h1>Reports are for admins</h1>" in page
        assert f'href="{reverse("inbox:my_inbox")}">My Inbox' in page  # the site's layout
    # Lists of conversations stay a 404, as for anything an agent may not see.
    assert client.get(reverse("inbox:all_conversations")).status_code == 404
    client.force_login(admin)
    assert client.get(REPORT).status_code == 200


def test_the_answered_late_figure_opens_exactly_the_late_conversations(client, admin, timeline):
    client.force_login(admin)
    response = get_report(client)
    late = figure(response, "Answered late")
    assert late.value == 2
    assert list_ids(client, late.url) == sorted(c.public_id for c in timeline["late"])
    unanswered = figure(response, "Unanswered")
    assert list_ids(client, unanswered.url) == [timeline["unanswered"].public_id]
    opened = figure(response, "Conversations opened")
    assert len(list_ids(client, opened.url)) == opened.value == 4


def test_the_list_says_which_conversations_it_shows(client, admin, timeline):
    client.force_login(admin)
    late = figure(get_report(client), "Answered late")
    with time_machine.travel(at(24 * 60), tick=False):
        page = client.get(late.url).content.decode()
    assert "Opened 2 Nov 2026 · answered late" in page
    assert 'name="answer" value="late"' in page  # the filter form keeps it


def test_the_after_hours_figure_opens_exactly_the_conversations_opened_while_closed(
    client, admin, alice_line, timeline
):
    set_office_hours()  # from 09:00 on Mondays: the timeline's conversations open in hours
    early = customer_writes(alice_line, "+12025550104", -1)
    client.force_login(admin)
    after_hours = figure(get_report(client), "Opened outside business hours")
    assert (after_hours.shown, after_hours.change) == ("20 %", "no figure for the previous period")
    assert list_ids(client, after_hours.url) == [early.public_id]
    with time_machine.travel(at(24 * 60), tick=False):
        page = client.get(after_hours.url).content.decode()
    assert "Opened 2 Nov 2026 · outside business hours" in page
    assert 'name="hours" value="closed"' in page


def test_table_cells_and_heatmap_cells_open_their_conversations(client, admin, bob, timeline):
    client.force_login(admin)
    response = get_report(client)
    bob_row = next(r for r in response.context["report"].agents if r.name == str(bob))
    conversations_cell = bob_row.cells[0]
    assert conversations_cell[0] == "2"
    assert list_ids(client, conversations_cell[1]) == sorted(
        [timeline["late"][1].public_id, timeline["unanswered"].public_id]
    )
    monday = response.context["report"].heatmap[0]
    cell = monday["cells"][9]  # 09:00 UTC: the first customer message
    assert cell["n"] == 1
    assert list_ids(client, cell["url"]) == [timeline["in_time"].public_id]


def test_chart_bars_link_to_their_day_and_channel(client, admin, timeline):
    client.force_login(admin)
    series = get_report(client).context["report"].series
    assert series["unit"] == "hour"
    sms = series["volume"][0]
    assert sum(sms["data"]) == 4
    hour = sms["data"].index(1)
    params = parse_qs(urlparse(sms["links"][hour]).query)
    assert params["hour"] == [str(hour)] and params["channel"] == ["sms"]
    assert len(list_ids(client, sms["links"][hour])) == 1


def test_the_chart_data_is_a_json_script_not_inline_code(client, admin, timeline):
    client.force_login(admin)
    page = get_report(client).content.decode()
    assert '<script id="report-series" type="application/json">' in page
    assert "onclick" not in page and "style=" not in page


def test_bad_input_gets_an_error_and_the_last_seven_days(client, admin):
    client.force_login(admin)
    for params in (
        {"period": "custom", "from": "2026-13-01", "to": "x"},
        {"period": "custom", "from": "2026-11-05", "to": "2026-11-01"},
        {"period": "custom", "from": "0001-01-01", "to": "0001-01-02"},
        {"period": "forever", "team": "x", "agent": "9" * 40, "channel": "fax"},
    ):
        response = client.get(REPORT, params)
        assert response.status_code == 200
        assert response.context["report"].query.error
        assert len(response.context["report"].query.period.days) == 7
    junk = reverse("inbox:all_conversations") + "?on=x&since=2026-99-01&weekday=9&hour=77"
    assert client.get(junk).status_code == 200


def test_report_queries_do_not_grow_with_data(
    client, admin, alice, alice_line, django_assert_num_queries
):
    """Session, user; people, sender IDs; the period's messages by sender ID and owner (for
    the tables and, with a filter, the headline); the headline's conversations, message
    totals (the quarter-hour tally; with a filter, the previous period's messages by sender
    ID and owner, as the tables count them), opt-outs; the series; the heatmap; per agent;
    per sender ID; teams; campaigns; the top bar's unread badge. A different query is
    computed, not taken as kept."""
    client.force_login(admin)
    customer_writes(alice_line, "+12025550200", 0)
    with django_assert_num_queries(15):
        get_report(client)
    for n in range(10):
        c = customer_writes(alice_line, f"+1202555021{n}", n)
        agent_replies(c, alice, n + 1)
    with django_assert_num_queries(15):
        response = get_report(client, {**ON_THE_DAY, "channel": "sms", "agent": alice.pk})
    assert figure(response, "Conversations opened").value == 11


def test_the_csv_has_one_row_per_conversation(client, admin, alice, alice_line, timeline):
    client.force_login(admin)
    contact = timeline["in_time"].contact
    contact.display_name = '=HYPERLINK("http://evil")'
    contact.save()
    Conversation.objects.filter(pk=timeline["in_time"].pk).update(opened_after_hours=True)
    with time_machine.travel(at(24 * 60), tick=False):
        response = client.get(EXPORT, ON_THE_DAY)
    assert response.streaming
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="conversations-2026-11-02-to-2026-11-02.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 4
    first = rows[0]
    assert first["conversation id"] == timeline["in_time"].public_id
    assert first["link"].endswith(f"/c/{timeline['in_time'].public_id}/")
    assert first["contact name"] == '\'=HYPERLINK("http://evil")'
    assert first["contact number"] == "'+12025550100"
    assert first["first response seconds"] == "120"
    assert (first["customer messages"], first["agent messages"]) == ("1", "1")
    assert first["opened at"] == "2026-11-02T09:00:00+00:00"
    assert [r["opened outside business hours"] for r in rows] == ["yes", "no", "no", "no"]
    assert rows[-1]["first response at"] == ""


def test_the_csv_follows_the_filters_and_the_period(client, admin, bob, timeline):
    client.force_login(admin)
    with time_machine.travel(at(24 * 60), tick=False):
        by_bob = client.get(EXPORT, {**ON_THE_DAY, "agent": bob.pk})
        next_day = DAY + timedelta(days=1)
        empty = client.get(EXPORT, {"period": "custom", "from": next_day, "to": next_day})
    assert len(b"".join(by_bob.streaming_content).decode().splitlines()) == 3
    assert len(b"".join(empty.streaming_content).decode().splitlines()) == 1

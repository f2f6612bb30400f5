"""The report's figures are current for ``REPORTS_CACHE_SECONDS``, then shown while a worker
computes them again, say as of when, and can be computed again at once; beat keeps the preset
periods current; the CSV export stays live."""

import json
import pickle
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.core.cache import caches
from django.urls import reverse
from kombu.exceptions import OperationalError

from inbox import tasks as inbox_tasks
from inbox.models import User
from inbox.reports.kept import keep, key, warm
from tests.conftest import make_user

from .test_reports_page import EXPORT, ON_THE_DAY, REPORT, figure
from .timeline import DAY, at, customer_writes

pytestmark = pytest.mark.django_db

SEEN_AT = at(24 * 60)  # 3 November, 09:00 UTC
COLD = 15  # session, user, people, sender IDs, 8 figure queries, teams, campaigns, the badge
WARM = 7  # session, user, people, sender IDs, teams, campaigns, the top bar's unread badge


@pytest.fixture
def signed_in(client, admin, alice_line):
    client.force_login(admin)
    customer_writes(alice_line, "+12025550300", 0)
    return client


def opened(client, params=ON_THE_DAY, when=SEEN_AT):
    with time_machine.travel(when, tick=False):
        response = client.get(REPORT, params)
    assert response.status_code == 200
    return figure(response, "Conversations opened").value


def test_a_second_request_makes_only_the_pages_own_queries(
    signed_in, alice_line, django_assert_num_queries
):
    with django_assert_num_queries(COLD):
        assert opened(signed_in) == 1
    customer_writes(alice_line, "+12025550301", 5)
    with django_assert_num_queries(WARM):
        assert opened(signed_in) == 1  # as computed a moment ago


def test_refresh_computes_again_and_keeps_the_new_figures(
    signed_in, alice_line, django_assert_num_queries
):
    assert opened(signed_in) == 1
    customer_writes(alice_line, "+12025550301", 5)
    with django_assert_num_queries(COLD):
        assert opened(signed_in, ON_THE_DAY | {"refresh": "1"}) == 2
    with django_assert_num_queries(WARM):
        assert opened(signed_in) == 2


def test_other_filters_or_another_period_are_computed_for_themselves(
    signed_in, alice_line, django_assert_num_queries
):
    assert opened(signed_in) == 1
    customer_writes(alice_line, "+12025550301", 5)
    with django_assert_num_queries(COLD):
        assert opened(signed_in, ON_THE_DAY | {"channel": "sms"}) == 2
    two_days = ON_THE_DAY | {"from": (DAY - timedelta(days=1)).isoformat()}
    with django_assert_num_queries(COLD):
        assert opened(signed_in, two_days) == 2
    assert opened(signed_in) == 1


def test_older_figures_are_shown_while_a_worker_computes_them_again(
    signed_in, alice_line, settings, tasks, django_assert_num_queries
):
    settings.REPORTS_CACHE_SECONDS = 120
    assert opened(signed_in) == 1
    customer_writes(alice_line, "+12025550301", 5)
    assert opened(signed_in, when=SEEN_AT + timedelta(seconds=119)) == 1
    assert tasks.names == []  # still current: nothing to do
    with django_assert_num_queries(WARM):
        assert opened(signed_in, when=SEEN_AT + timedelta(seconds=121)) == 1
    assert tasks.names == ["inbox.tasks.refresh_report"]
    assert opened(signed_in, when=SEEN_AT + timedelta(seconds=122)) == 1
    assert len(tasks.queued) == 1  # one refresh at a time
    with time_machine.travel(SEEN_AT + timedelta(seconds=125), tick=False):
        tasks.run_all()
    with django_assert_num_queries(WARM):
        assert opened(signed_in, when=SEEN_AT + timedelta(seconds=126)) == 2


def page_again(client, after: timedelta) -> str:
    """The page as seen ``after`` a first view at SEEN_AT computed and kept its figures."""
    with time_machine.travel(SEEN_AT, tick=False):
        client.get(REPORT, ON_THE_DAY)
    with time_machine.travel(SEEN_AT + after, tick=False):
        return client.get(REPORT, ON_THE_DAY).content.decode()


def test_the_page_says_newer_figures_are_being_computed(signed_in, tasks):
    page = page_again(signed_in, timedelta(minutes=5))
    assert "Figures as of 09:00 (newer ones are being computed)." in page


def test_after_the_stale_time_the_request_computes_them(
    signed_in, alice_line, settings, tasks, django_assert_num_queries
):
    settings.REPORTS_CACHE_SECONDS, settings.REPORTS_STALE_SECONDS = 120, 900
    assert opened(signed_in) == 1
    customer_writes(alice_line, "+12025550301", 5)
    assert opened(signed_in, when=SEEN_AT + timedelta(seconds=1019)) == 1
    with django_assert_num_queries(COLD):
        assert opened(signed_in, when=SEEN_AT + timedelta(seconds=1021)) == 2


@pytest.mark.parametrize(
    "refused",
    [OperationalError("connection refused"), redis.ResponseError("OOM command not allowed")],
)
def test_a_broker_down_shows_the_older_figures_and_asks_again_next_time(
    signed_in, alice_line, monkeypatch, refused
):
    asked = []

    def unreachable(*args, **kwargs):
        asked.append(args)
        raise refused

    monkeypatch.setattr(inbox_tasks.refresh_report, "delay", unreachable)
    assert opened(signed_in) == 1
    customer_writes(alice_line, "+12025550301", 5)
    later = SEEN_AT + timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        response = signed_in.get(REPORT, ON_THE_DAY)
    assert response.status_code == 200
    assert figure(response, "Conversations opened").value == 1
    assert "(kept for 2 min)" in response.content.decode()  # no promise of newer ones
    assert opened(signed_in, when=later) == 1
    assert len(asked) == 2


def test_redis_going_down_as_a_refresh_is_asked_for_shows_the_older_figures(signed_in, monkeypatch):
    """The claim is taken, then the broker and the cache (one Redis) stop answering."""

    def down(*args, **kwargs):
        raise redis.ConnectionError("connection refused")

    def unreachable(*args, **kwargs):
        monkeypatch.setattr(caches["shared"], "delete", down)
        raise OperationalError("connection refused")

    monkeypatch.setattr(inbox_tasks.refresh_report, "delay", unreachable)
    assert opened(signed_in) == 1
    with time_machine.travel(SEEN_AT + timedelta(minutes=3), tick=False):
        response = signed_in.get(REPORT, ON_THE_DAY)
    assert response.status_code == 200
    assert "(kept for 2 min)" in response.content.decode()


def test_beat_keeps_the_preset_periods_current_in_each_admins_time_zone(
    signed_in, admin, alice_line, settings, django_assert_num_queries
):
    """Current for 120 s, beat every 60 s: figures are computed again at the run after
    which they would not be current by the next run, even one half a period late."""
    settings.REPORTS_CACHE_SECONDS, settings.REPORTS_WARM_SECONDS = 120, 60
    far = make_user("far", role=admin.role)
    far.time_zone = "Asia/Kolkata"
    far.save()
    with time_machine.travel(SEEN_AT, tick=False):
        assert warm(now=SEEN_AT) == 6  # today, 7 days, 30 days in UTC and in Kolkata
    soon = SEEN_AT + timedelta(seconds=29)
    with time_machine.travel(soon, tick=False):
        assert warm(now=soon) == 0  # current until the run at 119 s
    later = SEEN_AT + timedelta(seconds=31)
    with time_machine.travel(later, tick=False):
        assert warm(now=later) == 6  # a run due at 91 s but late to 121 s would find them old
        with django_assert_num_queries(WARM):
            assert signed_in.get(REPORT, {"period": "7d"}).status_code == 200


def test_a_refresh_that_finds_the_figures_current_computes_nothing(
    signed_in, tasks, django_assert_max_num_queries
):
    with time_machine.travel(SEEN_AT, tick=False):
        asked = signed_in.get(REPORT, ON_THE_DAY).context["report"].query
    with time_machine.travel(SEEN_AT + timedelta(minutes=5), tick=False):
        signed_in.get(REPORT, ON_THE_DAY)  # older figures: a refresh is queued
        keep(asked)  # and beat, say, computes them first
        with django_assert_max_num_queries(0):
            tasks.run_named("inbox.tasks.refresh_report")
        assert "(kept for 2 min)" in signed_in.get(REPORT, ON_THE_DAY).content.decode()


def test_beat_warms_an_admin_whose_time_zone_is_unknown_in_the_servers(
    signed_in, admin, django_assert_num_queries
):
    """Such an admin's pages are in the server's time zone (TIME_ZONE), so beat warms that
    one; the warm-up does not stop at them."""
    User.objects.filter(pk=admin.pk).update(time_zone="")
    make_user("lost", role=admin.role)
    User.objects.filter(username="lost").update(time_zone="Mars/Olympus_Mons")
    with time_machine.travel(SEEN_AT, tick=False):
        assert warm(now=SEEN_AT) == 3  # today, 7 days, 30 days in UTC, once
        with django_assert_num_queries(WARM):
            assert signed_in.get(REPORT, {"period": "7d"}).status_code == 200


def test_beat_sends_the_warm_up():
    schedule = django_settings.CELERY_BEAT_SCHEDULE["warm-reports"]
    assert schedule["task"] == inbox_tasks.warm_reports.name
    assert schedule["schedule"] == django_settings.REPORTS_WARM_SECONDS


def test_the_page_says_as_of_when_and_offers_a_refresh(signed_in, alice_line):
    page = page_again(signed_in, timedelta(seconds=50))
    assert "Figures as of 09:00 (kept for 2 min)." in page
    refresh = f'href="{REPORT}?period=custom&amp;from={DAY}&amp;to={DAY}&amp;refresh=1"'
    assert refresh in page


def test_refresh_is_for_admins_only(client, alice):
    client.force_login(alice)
    assert client.get(REPORT, ON_THE_DAY | {"refresh": "1"}).status_code == 403


UNPICKLED = []


def _unpickled() -> None:
    UNPICKLED.append(True)


class Payload:
    """What a forged cache entry would carry: a call made on unpickling."""

    def __reduce__(self):
        return (_unpickled, ())


def _asked(client) -> object:
    with time_machine.travel(SEEN_AT, tick=False):
        return client.get(REPORT, ON_THE_DAY).context["report"].query


def test_the_figures_are_kept_in_redis_as_json(signed_in, shared_cache_on_redis):
    stored = shared_cache_on_redis.get(caches["shared"].make_key(key(_asked(signed_in))))
    kept = json.loads(stored)
    assert kept["headline"][0]["label"] == "Conversations opened"
    assert kept["headline"][0]["value"] == 1


def test_a_forged_entry_is_never_unpickled_and_is_computed_again(signed_in, shared_cache_on_redis):
    name = caches["shared"].make_key(key(_asked(signed_in)))
    shared_cache_on_redis.set(name, pickle.dumps(Payload()))
    assert opened(signed_in) == 1
    assert UNPICKLED == []
    assert json.loads(shared_cache_on_redis.get(name))["headline"][0]["value"] == 1


@pytest.mark.parametrize("stored", [b"[]", b'{"headline": 5}', b"\x80\x04 not json"])
def test_an_entry_that_is_not_our_figures_is_computed_again(
    signed_in, shared_cache_on_redis, stored
):
    name = caches["shared"].make_key(key(_asked(signed_in)))
    shared_cache_on_redis.set(name, stored)
    assert opened(signed_in) == 1


@pytest.mark.parametrize(
    "changed",
    [
        lambda kept: {k: v for k, v in kept.items() if k != "series"},  # an older shape
        lambda kept: kept | {"targets": []},  # a newer shape
        lambda kept: kept | {"choices": {}},  # a field the page fills in itself
        lambda kept: kept | {"computed_at": "2026-11-03T09:00:00"},  # no time zone
    ],
)
def test_kept_figures_of_another_shape_are_computed_again(signed_in, changed):
    later = SEEN_AT + timedelta(minutes=1)
    name = key(_asked(signed_in))
    with time_machine.travel(SEEN_AT, tick=False):
        kept = caches["shared"].get(name)
        caches["shared"].set(name, changed(kept))
    assert opened(signed_in, when=later) == 1
    with time_machine.travel(later, tick=False):
        assert caches["shared"].get(name) == kept | {"computed_at": later.isoformat()}


def test_the_csv_and_the_lists_stay_live(signed_in, alice_line):
    assert opened(signed_in) == 1
    customer_writes(alice_line, "+12025550301", 5)
    with time_machine.travel(SEEN_AT, tick=False):
        csv = signed_in.get(EXPORT, ON_THE_DAY).getvalue().decode()
        listed = signed_in.get(reverse("inbox:all_conversations"), {"since": DAY, "until": DAY})
    assert "+12025550301" in csv
    assert len(listed.context["conversations"]) == 2


def test_a_local_cache_that_cannot_be_written_still_shows_the_page(
    signed_in, unwritable_shared_cache
):
    """``make run`` keeps reports in files under var/: a full or unwritable disk there
    costs the keeping, not the page."""
    assert opened(signed_in) == 1

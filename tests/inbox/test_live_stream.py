"""Live by push: the ordered, bounded event log, who hears of what, and the stream per tab
that resumes from ``Last-Event-ID`` (inbox.live_events, inbox.live_hub, inbox.views.stream)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.test import AsyncClient

from inbox import live_events
from inbox.live_events import events_after, head
from inbox.live_hub import Batch
from inbox.models import Channel, LiveEvent, SenderId, TeamMode
from inbox.services.notes import note_add
from inbox.services.read_state import conversations_mark_read
from inbox.services.teams import conversation_grab

from ..conftest import receive
from ..support.sse import read

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_redis(settings):
    """In-process delivery, as ``make run`` (tests/test_live_processes.py crosses Redis)."""
    settings.REDIS_URL = ""
    settings.LIVE_READ_INTERVAL_MS = 50


@pytest.fixture
def alices(alice_line):
    return receive(alice_line, "+12025550123", "Hello?").conversation


def kinds_after(last_id: int) -> list[str]:
    return [e.kind for e in events_after(last_id)]


def run(scenario):
    """Run an async scenario on an event loop of its own."""
    return asyncio.run(scenario())


def visible(user, events) -> list[str]:
    return [e.kind for e in run(lambda: Batch(events).visible_to(user))]


# ---- The log ---------------------------------------------------------------------------


def test_a_change_is_recorded_once_it_commits_and_never_when_it_rolls_back(alices, alice):
    start = head()
    with transaction.atomic():
        note_add(conversation=alices, author=alice, body="Kept")
        assert kinds_after(start) == []  # not before the commit
    assert kinds_after(start) == ["note"]

    with pytest.raises(RuntimeError), transaction.atomic():
        note_add(conversation=alices, author=alice, body="Rolled back")
        raise RuntimeError
    assert kinds_after(start) == ["note"]


def test_events_come_in_commit_order_with_the_conversation_named(alices, alice):
    start = head()
    note_add(conversation=alices, author=alice, body="One")
    receive(alices.sender_id, "+12025550123", "Two")
    events = events_after(start)
    assert [e.kind for e in events] == ["note", "message_in"]
    assert events[0].id < events[1].id
    assert {e.data["c"] for e in events} == {alices.public_id}


def test_the_log_keeps_only_the_newest_events(settings, monkeypatch, alices, alice):
    settings.LIVE_EVENTS_KEPT = 3
    monkeypatch.setattr(live_events, "PRUNE_EVERY", 1)
    for n in range(6):
        note_add(conversation=alices, author=alice, body=f"Note {n}")
    assert LiveEvent.objects.count() == 3
    assert live_events.oldest_kept() == head() - 2


# ---- Who hears of what -----------------------------------------------------------------


def test_each_user_hears_only_of_conversations_they_may_see(
    alices, alice, bob, carol, admin, bob_line
):
    start = head()
    note_add(conversation=alices, author=alice, body="Alice's")
    receive(bob_line, "+12025550199", "For Bob")
    events = events_after(start)
    assert visible(alice, events) == ["note"]
    assert visible(bob, events) == ["message_in"]
    assert visible(carol, events) == []
    assert visible(admin, events) == ["note", "message_in"]


def test_read_marks_are_heard_only_by_their_reader(alices, alice, admin):
    start = head()
    conversations_mark_read(user=alice, conversations=[alices])
    events = events_after(start)
    assert visible(alice, events) == ["read"]
    assert visible(admin, events) == []


def test_a_grab_team_member_hears_who_took_the_conversation(support_team, alice, bob, carol):
    support_team.mode = TeamMode.GRAB
    support_team.save()
    line = SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team line", team=support_team
    )
    conversation = receive(line, "+12025550123", "Anyone there?").conversation
    start = head()
    conversation_grab(conversation=conversation, user=alice)
    events = events_after(start)
    assert "assigned" in visible(bob, events)  # no longer his to see, but his window asks
    assert visible(carol, events) == []


# ---- The stream ------------------------------------------------------------------------


async def open_stream(user, **headers):
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get("/live/stream/", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["X-Accel-Buffering"] == "no"
    return response.streaming_content


def test_the_stream_sends_what_happens_as_it_happens(alices, alice, bob):
    async def scenario():
        mine = await open_stream(alice)
        ready = await read(mine, until="ready")
        await sync_to_async(note_add)(conversation=alices, author=alice, body="Now")
        change = await read(mine, until="change")
        await mine.aclose()
        return ready[-1], change[-1]

    ready, change = run(scenario)
    assert change["data"] == {"k": ["note"], "c": [alices.public_id]}
    assert int(change["id"]) > int(ready["id"])


def test_a_reconnecting_tab_resumes_after_its_last_event_id_and_misses_nothing(alices, alice):
    async def scenario():
        first = await open_stream(alice)
        position = (await read(first, until="ready"))[-1]["id"]
        await first.aclose()  # the connection drops
        for n in range(3):
            await sync_to_async(note_add)(conversation=alices, author=alice, body=f"{n}")
        await sync_to_async(receive)(alices.sender_id, "+12025550123", "Still there?")
        again = await open_stream(alice, **{"Last-Event-ID": position})
        return position, await read(again, until="ready")

    position, messages = run(scenario)
    assert [m["event"] for m in messages] == ["change", "ready"]
    assert messages[0]["data"]["k"] == ["message_in", "note"]
    assert int(messages[0]["id"]) == head() > int(position)


def test_a_tab_further_behind_than_the_log_is_told_to_refresh_everything(
    settings, monkeypatch, alices, alice
):
    settings.LIVE_EVENTS_KEPT = 2
    monkeypatch.setattr(live_events, "PRUNE_EVERY", 1)
    old = head()
    for n in range(4):
        note_add(conversation=alices, author=alice, body=f"{n}")

    async def scenario():
        stream = await open_stream(alice, **{"Last-Event-ID": str(old)})
        return await read(stream, until="ready")

    assert [m["event"] for m in run(scenario)] == ["reset", "ready"]


def test_presence_is_pushed_without_being_stored(client, alices, alice, admin):
    async def scenario():
        stream = await open_stream(admin)
        await read(stream, until="ready")
        await sync_to_async(client.force_login)(alice)
        beat = sync_to_async(client.post)
        await beat(f"/c/{alices.public_id}/presence/", {"typing": "1"})
        return await read(stream, until="presence")

    before = LiveEvent.objects.count()
    messages = run(scenario)
    assert messages[-1]["data"]["c"] == [alices.public_id]
    assert LiveEvent.objects.count() == before


def test_under_wsgi_the_stream_answers_204_so_the_page_keeps_polling(client, alice):
    client.force_login(alice)
    assert client.get("/live/stream/").status_code == 204


def test_signed_out_the_stream_sends_to_the_login_page(alice):
    async def scenario():
        return await AsyncClient().get("/live/stream/")

    response = run(scenario)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_an_event_recorded_by_another_process_reaches_the_stream_through_the_database(
    monkeypatch, alices, alice
):
    """``make run``: the worker has no way to wake the web process; its reader reads the log
    every LIVE_READ_INTERVAL_MS and finds it."""

    async def scenario():
        stream = await open_stream(alice)
        await read(stream, until="ready")
        monkeypatch.setattr(live_events, "_announce", lambda message: None)
        await sync_to_async(note_add)(conversation=alices, author=alice, body="From a worker")
        return await read(stream, until="change")

    assert run(scenario)[-1]["data"]["k"] == ["note"]


def test_what_a_user_may_hear_of_costs_two_queries_however_many_conversations(
    django_assert_num_queries, alice, alice_line, bob_line
):
    ids = [receive(alice_line, f"+120255501{n:02d}", "Hi").conversation.pk for n in range(5)]
    ids += [receive(bob_line, f"+120255502{n:02d}", "Hi").conversation.pk for n in range(5)]
    from inbox.access import live_visible_ids

    with django_assert_num_queries(2):
        assert live_visible_ids(alice, ids) == set(ids[:5])


# ---- Streams that follow topics (a web-chat visitor's) ---------------------------------


def test_a_stream_following_topics_gets_only_their_events_and_signals_sent_to_it(
    alices, alice_line
):
    from inbox.live_events import Event
    from inbox.live_hub import Hub

    others = receive(alice_line, "+12025550999", "Other").conversation

    async def scenario():
        hub = Hub()
        agents = await hub.subscribe()
        follower = await hub.subscribe(topics=[alices.pk, "visitor:1"])
        hub._fan_out(Batch([Event(1, "note", others.pk), Event(2, "message_in", alices.pk)]))
        hub.on_message({"signal": {"kind": "read", "conversation_id": None,
                                   "data": {"to": "visitor:1"}}})  # fmt: skip
        hub.follow(follower, others.pk)
        hub._fan_out(Batch([Event(3, "note", others.pk)]))
        heard = {"agents": [], "follower": []}
        for name, queue in (("agents", agents), ("follower", follower)):
            while not queue.empty():
                heard[name].append([e.kind for e in queue.get_nowait().events])
        hub.unsubscribe(follower)
        hub.unsubscribe(agents)
        assert hub.followers == {} and hub.followed == {}
        return heard

    heard = run(scenario)
    assert heard["agents"] == [["note", "message_in"], ["note"]]  # never a signal sent to one
    assert heard["follower"] == [["message_in"], ["read"], ["note"]]


def test_a_stream_lets_go_of_its_requests_thread_once_its_answer_began():
    from asgiref.sync import SyncToAsync, ThreadSensitiveContext

    from inbox import live_hub

    async def scenario():
        async with ThreadSensitiveContext() as context:
            await sync_to_async(lambda: None)()  # the middleware's turn: the request's thread
            assert context in SyncToAsync.context_to_thread_executor
            live_hub.request_thread_release()
            assert context not in SyncToAsync.context_to_thread_executor
            await sync_to_async(lambda: None)()  # closing the answer: a thread for that only

    run(scenario)


def test_the_reader_stops_when_told_to_even_as_news_arrives():
    """A server closing (or a test's event loop ending) cancels the hub's reader; news that
    arrives at that very moment must not keep it reading for streams that are gone."""
    from inbox.live_hub import Hub

    async def scenario():
        hub = Hub()
        await hub.subscribe(topics=["somewhere"])
        await asyncio.sleep(0.01)  # the reader waits for news
        hub.woken.set()  # news, and in the same moment the order to stop
        hub.task.cancel()
        done, _ = await asyncio.wait([hub.task], timeout=2)
        return done

    assert run(scenario), "the reader went on after it was cancelled"

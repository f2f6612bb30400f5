"""A visitor's live stream: bound to their token and the website's origins, limited, told
only of their own conversation, and keeping them online while it is held."""

import asyncio
import json
import threading
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.test import AsyncClient, RequestFactory
from django.utils import timezone

from channels_webchat import stream as visitor_stream
from channels_webchat.models import Visitor
from channels_webchat.presence import held_key, is_online
from channels_webchat.visitors import (
    conversation_of,
    visitor_for_token,
    visitor_read,
    visitor_start,
    visitor_write,
)
from inbox.live_events import event_record
from inbox.models import Conversation
from inbox.services.notes import note_add
from inbox.services.sending import message_send

from ..support.sse import read
from .conftest import make_website

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_redis(settings):
    """In-process delivery, as ``make run`` (tests/test_live_processes.py crosses Redis)."""
    settings.REDIS_URL = ""
    settings.LIVE_READ_INTERVAL_MS = 50


def run(scenario):
    return asyncio.run(scenario())


async def open_stream(website, token, **headers):
    client = AsyncClient()
    return await client.get(
        f"/webchat/{website.key}/stream?page=https%3A%2F%2Fshop.example.com%2F",
        headers={"Authorization": f"Bearer {token}", **headers},
    )


async def held_stream(website, token, **headers):
    response = await open_stream(website, token, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["X-Accel-Buffering"] == "no"
    return response.streaming_content


def eventually(check, timeout: float = 10.0) -> None:
    """Wait until ``check()`` holds (what a thread of the server does, it does soon)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


@pytest.fixture
def website(alice):
    return make_website(owner=alice)


def chatting(website, body="Hello"):
    visitor, token = visitor_start(website=website)
    visitor_write(visitor=visitor, body=body, key="k1")
    return visitor, token


def test_an_agent_reply_reaching_the_visitor_is_told_on_their_stream(website, alice, tasks):
    _, token = chatting(website)

    async def scenario():
        mine = await held_stream(website, token)
        await read(mine, until="ready")
        await sync_to_async(message_send)(
            conversation=await Conversation.objects.aget(), author=alice, body="Yes."
        )
        await sync_to_async(tasks.run_all)()  # delivered: now in the visitor's state
        change = await read(mine, until="change")
        await mine.aclose()
        return change

    kinds = {k for m in run(scenario) if m["event"] == "change" for k in m["data"]["k"]}
    assert "message_status" in kinds


def test_a_stream_opened_before_the_first_message_follows_the_conversation_it_opens(
    website, alice, tasks
):
    visitor, token = visitor_start(website=website)

    async def scenario():
        mine = await held_stream(website, token)
        await read(mine, until="ready")
        await sync_to_async(visitor_write)(visitor=visitor, body="Hi", key="k1")
        first = await read(mine, until="change")
        conversation = await sync_to_async(conversation_of)(visitor)
        await sync_to_async(event_record)(kind="attachment", conversations=[conversation])
        # Followed: what happens in it now reaches the stream.
        await read(mine, until="change", kind="attachment")
        await mine.aclose()
        return first[-1]

    assert "chat" in run(scenario)["data"]["k"]


def test_a_stream_hears_only_its_own_conversation_and_not_a_private_note(website, alice):
    dana, dana_token = chatting(website, "Dana here")
    eve, _ = chatting(website, "Eve here")
    danas, eves = conversation_of(dana), conversation_of(eve)

    async def scenario():
        mine = await held_stream(website, dana_token)
        await read(mine, until="ready")
        # Recorded in this order, so read by the hub in this order: had Eve's status or the
        # note reached Dana's stream, her first change would name them.
        await sync_to_async(event_record)(kind="message_status", conversations=[eves])
        await sync_to_async(note_add)(conversation=danas, author=alice, body="VIP")
        await sync_to_async(event_record)(kind="attachment", conversations=[danas])
        messages = await read(mine, until="change")
        await mine.aclose()
        return messages

    changes = [m for m in run(scenario) if m["event"] == "change"]
    assert changes == [{"event": "change", "data": {"k": ["attachment"]}}]


def test_a_read_mark_in_one_tab_is_told_to_the_visitors_other_tabs(website):
    visitor, token = chatting(website)

    async def scenario():
        other_tab = await held_stream(website, token)
        await read(other_tab, until="ready")
        await sync_to_async(visitor_read)(visitor=visitor, upto=10**6)
        messages = await read(other_tab, until="change")
        await other_tab.aclose()
        return messages

    assert run(scenario)[-1]["data"] == {"k": ["read"]}


def test_a_visitor_cannot_open_a_stream_without_their_own_token(website, alice):
    _, dana_token = chatting(website)
    elsewhere = make_website(owner=alice, origins="https://other.example.com")

    async def scenario():
        return [
            (await open_stream(elsewhere, dana_token)).status_code,  # another website's
            (await open_stream(website, "not-a-token")).status_code,
            (await open_stream(website, "")).status_code,
        ]

    assert run(scenario) == [401, 401, 401]


def test_a_page_of_an_origin_the_website_does_not_list_cannot_open_a_stream(website):
    _, token = chatting(website)

    async def scenario():
        refused = await open_stream(website, token, Origin="https://evil.example.com")
        opaque = await open_stream(website, token, Origin="null")
        ours = await held_stream(website, token, Origin="http://testserver")
        theirs = await held_stream(website, token, Origin="https://shop.example.com")
        for held in (ours, theirs):
            await read(held, until="ready")
            await held.aclose()
        return refused, opaque

    refused, opaque = run(scenario)
    assert (refused.status_code, opaque.status_code) == (403, 403)
    assert "cannot be used from that page" in json.loads(refused.content)["error"]


def test_the_other_endpoints_refuse_a_page_of_another_origin_too(client, website):
    _, token = chatting(website)
    response = client.get(
        f"/webchat/{website.key}/state",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ORIGIN="https://evil.example.com",
    )
    assert response.status_code == 403


def test_opening_streams_is_limited_per_visitor(settings, website, one_rate_window):
    settings.WEBCHAT_RATE_STREAM = "2/m"
    _, token = chatting(website)
    _, other_token = chatting(website)

    async def scenario():
        codes = []
        for _ in range(3):
            response = await open_stream(website, token)
            codes.append(response.status_code)
            if response.status_code == 200:
                await read(response.streaming_content, until="ready")
                await response.streaming_content.aclose()
        other = await held_stream(website, other_token)  # another visitor's own count
        await read(other, until="ready")
        await other.aclose()
        return codes

    assert run(scenario) == [200, 200, 429]


def test_under_wsgi_the_stream_answers_204_so_the_frame_polls(client, website):
    _, token = chatting(website)
    response = client.get(f"/webchat/{website.key}/stream", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 204


def test_a_held_stream_keeps_the_visitor_online_and_its_end_is_when_they_were_last_seen(
    website,
):
    visitor, token = chatting(website)
    Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))

    async def scenario():
        mine = await held_stream(website, token)
        await read(mine, until="ready")
        await sync_to_async(eventually)(lambda: caches["shared"].get(held_key(visitor.address)))
        await sync_to_async(Visitor.objects.filter(pk=visitor.pk).update)(
            last_seen_at=timezone.now() - timedelta(hours=1)
        )
        online = await sync_to_async(is_online)(await Visitor.objects.aget(pk=visitor.pk))
        await mine.aclose()
        return online

    assert run(scenario) is True
    eventually(
        lambda: (
            Visitor.objects.get(pk=visitor.pk).last_seen_at > timezone.now() - timedelta(minutes=1)
        )
    )


def test_a_mark_being_written_as_the_visitor_leaves_does_not_outlive_their_leaving(
    website, monkeypatch
):
    """The process marks its held visitors now and then, from a snapshot: a mark that was
    being written when the visitor's last stream closed must not land after their leaving
    (they would show online for a while more)."""
    visitor, _ = chatting(website)
    writing, release = threading.Event(), threading.Event()
    marked = visitor_stream.held_mark

    def slow_mark(addresses):
        writing.set()
        release.wait(5)
        marked(addresses)

    monkeypatch.setattr(visitor_stream, "held_mark", slow_mark)

    async def scenario():
        held = visitor_stream.Held()
        held.add(visitor.address)  # the mark of the held visitor starts being written
        await sync_to_async(writing.wait)(5)
        held.remove(visitor.pk, visitor.address)  # their last stream closes meanwhile
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*held.leaving)
        return held.counts

    assert run(scenario) == {}
    assert caches["shared"].get(held_key(visitor.address)) is None


def test_opening_a_stream_costs_the_same_few_queries_however_long_the_chat(
    django_assert_num_queries, website
):
    visitor, token = chatting(website)
    for n in range(5):
        visitor_write(visitor=visitor, body=f"More {n}", key=f"k{n + 2}")
    request = RequestFactory().get(
        f"/webchat/{website.key}/stream?page=https://shop.example.com/new",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    # The website, the visitor by their token, their page written, their conversation.
    with django_assert_num_queries(4):
        opened = visitor_stream._open(request, website.key)
    assert opened.visitor_id == visitor.pk
    assert (
        opened.conversation_id
        == conversation_of(visitor_for_token(website=website, token=token)).pk
    )

"""Live updates (F-IN7): the per-user "what changed since T" poll."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import Conversation, ConversationEvent
from inbox.selectors.counts import unread_count
from inbox.services.read_state import conversation_mark_read
from inbox.views import live
from inbox.views.live import format_version, parse_version

from ..conftest import receive


def poll(client, since: str):
    return client.get(reverse("inbox:live"), {"since": since}, headers={"HX-Request": "true"})


def version_in(response) -> str:
    return re.search(r"since=([\d.]+)", response.content.decode()).group(1)


def long_ago(conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        changed_at=timezone.now() - timedelta(minutes=1)
    )


@pytest.fixture
def since() -> str:
    return format_version(timezone.now() - timedelta(seconds=30))


def test_versions_round_trip_to_the_microsecond():
    at = timezone.now()
    assert parse_version(format_version(at)) == at
    assert parse_version("garbage") is None


def test_an_idle_inbox_costs_four_queries_and_answers_204(
    client, alice, alice_line, django_assert_num_queries
):
    long_ago(receive(alice_line, "+12025550123").conversation)
    client.force_login(alice)
    since = format_version(timezone.now() - timedelta(seconds=5))
    # Session, user, alice's sender IDs and teams, one aggregate over what she sees.
    with django_assert_num_queries(4):
        response = poll(client, since)
    assert response.status_code == 204 and response.content == b""


def test_a_customer_message_is_news_with_the_unread_count(client, alice, alice_line, since):
    client.force_login(alice)
    conversation = receive(alice_line, "+12025550123", "Is it shipped?").conversation
    response = poll(client, since)
    assert response.status_code == 200
    event = json.loads(response.headers["HX-Trigger"])["inbox-changed"]
    assert event["unread"] == 1
    [news] = event["news"]
    assert news["title"] == "New message from +1 202-555-0123"
    assert news["body"] == "Is it shipped?"
    assert news["url"] == reverse("inbox:conversation", args=[conversation.public_id])
    assert 'id="live"' in response.content.decode()


def test_an_assignment_by_someone_else_is_news(client, alice, admin, bob_line, since):
    conversation = receive(bob_line, "+12025550123").conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        owner=alice, changed_at=timezone.now(), last_inbound_at=timezone.now() - timedelta(1)
    )
    ConversationEvent.objects.create(
        conversation=conversation, kind=ConversationEvent.Kind.ASSIGNED, actor=admin
    )
    client.force_login(alice)
    news = json.loads(poll(client, since).headers["HX-Trigger"])["inbox-changed"]["news"]
    assert [n["title"] for n in news] == ["Assigned to you: +1 202-555-0123"]


def test_changes_alice_cannot_see_do_not_wake_her(client, alice, bob_line, since):
    receive(bob_line, "+12025550123")
    client.force_login(alice)
    assert poll(client, since).status_code == 204


def test_the_next_version_settles_once_commits_are_safely_past(client, alice, alice_line, since):
    conversation = receive(alice_line, "+12025550123").conversation
    client.force_login(alice)
    first = poll(client, since)
    # The change is younger than the commit slack: the version stays behind it …
    assert parse_version(version_in(first)) < conversation.changed_at
    long_ago(conversation)
    # … and once it is old, a poll from a later version is quiet.
    assert poll(client, format_version(timezone.now() - timedelta(seconds=5))).status_code == 204


def test_a_read_in_another_tab_answers_with_the_new_count(client, alice, alice_line):
    conversation = receive(alice_line, "+12025550123", "Hello").conversation
    long_ago(conversation)
    client.force_login(alice)
    since = format_version(timezone.now() - timedelta(seconds=5))
    assert poll(client, since).status_code == 204

    conversation_mark_read(user=alice, conversation=conversation)  # in another tab

    response = poll(client, since)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["inbox-changed"]["unread"] == 0
    alice.refresh_from_db()
    alice.read_marks_changed_at = timezone.now() - timedelta(minutes=1)
    alice.save(update_fields=["read_marks_changed_at"])
    assert poll(client, since).status_code == 204  # a mark older than the page's version


def test_every_signed_in_page_carries_the_poll(client, alice):
    client.force_login(alice)
    html = client.get(reverse("inbox:my_inbox")).content.decode()
    assert 'id="live"' in html and "every 3s" in html


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("inbox:live"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_message_into_the_open_conversation_is_never_counted_unread(
    client, alice, alice_line, since
):
    open_one = receive(alice_line, "+12025550123", "Hi").conversation
    conversation_mark_read(user=alice, conversation=open_one)  # opened, then the customer wrote
    receive(alice_line, "+12025550123", "Are you there?")
    receive(alice_line, "+12025550124", "Elsewhere")
    client.force_login(alice)

    response = client.get(
        reverse("inbox:live"), {"since": since, "open": open_one.public_id}, HTTP_HX_REQUEST="true"
    )

    event = json.loads(response.headers["HX-Trigger"])["inbox-changed"]
    assert event["unread"] == 1  # only the other one
    assert 'data-unread="1"' in response.content.decode()


def test_a_message_committed_between_the_read_and_the_count_is_not_counted_unread(
    client, alice, alice_line, since, monkeypatch
):
    open_one = receive(alice_line, "+12025550123", "Hi").conversation
    conversation_mark_read(user=alice, conversation=open_one)
    receive(alice_line, "+12025550124", "Elsewhere")
    client.force_login(alice)
    # The customer's next message commits just after the page's read, before its count.
    count = unread_count
    arrivals = ["Are you there?"]

    def count_after_an_arrival(*, user):
        if arrivals:
            receive(alice_line, "+12025550123", arrivals.pop())
        return count(user=user)

    monkeypatch.setattr(live, "unread_count", count_after_an_arrival)

    response = client.get(
        reverse("inbox:live"), {"since": since, "open": open_one.public_id}, HTTP_HX_REQUEST="true"
    )

    assert not arrivals
    assert json.loads(response.headers["HX-Trigger"])["inbox-changed"]["unread"] == 1
    assert 'data-unread="1"' in response.content.decode()


def test_the_open_parameter_reads_nothing_the_user_cannot_see(client, bob, alice_line, since):
    theirs = receive(alice_line, "+12025550123", "Hi").conversation
    client.force_login(bob)
    client.get(reverse("inbox:live"), {"since": since, "open": theirs.public_id})
    assert not theirs.read_states.exists()


def test_the_news_are_read_from_the_conversations_changed_since(alice, alice_line):
    """A message or an assignment stamps its conversation's ``changed_at``: the news start
    from the few conversations changed since (their index), not from every conversation a
    busy agent owns (66,000 at ten million messages: 127 ms a poll) or every assignment
    ever made (a walk of every event: 60 ms)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inbox.selectors.live import news_since

    since = timezone.now() - timedelta(seconds=1)
    receive(alice_line, "+12025550100", "Where is my order?")
    with CaptureQueriesContext(connection) as captured:
        news = news_since(user=alice, since=since)
    assert [n.title for n in news] == ["New message from +1 202-555-0100"]
    messages, assignments = (q["sql"] for q in captured.captured_queries[:2])
    assert '"inbox_conversation"."changed_at" >' in messages
    assert '"inbox_conversation"."changed_at" >' in assignments


def test_a_take_over_stamped_before_its_event_is_still_news(alice, bob, alice_line):
    """A reply that takes a conversation over stamps it with the time the send began, which
    may come before the take-over's event: the news still carries it."""
    from inbox.selectors.live import news_since

    c = receive(alice_line, "+12025550100", "Hello").conversation
    since = timezone.now()
    ConversationEvent.objects.create(
        conversation=c, kind=ConversationEvent.Kind.ASSIGNED, actor=bob, data={"from": alice.pk}
    )
    Conversation.objects.filter(pk=c.pk).update(owner=bob, changed_at=since - timedelta(seconds=2))
    titles = [n.title for n in news_since(user=alice, since=since)]
    assert titles == ["Bob took over: +1 202-555-0100"]

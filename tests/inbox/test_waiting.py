"""Waiting states (F-CV5): the age badge, the rep-needed flag and the filters, from one place."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import Conversation, Participation
from inbox.services.sending import message_send
from inbox.waiting import (
    Waiting,
    WaitingState,
    waiting_of,
    waiting_q,
    with_anyone_joined,
)

from ..conftest import receive

NOW = timezone.now()
W = WaitingState


@pytest.mark.parametrize(
    ("waited", "status", "owned", "joined", "expected"),
    [
        (None, "open", False, False, Waiting(None, rep_needed=False)),
        (10, "closed", False, False, Waiting(None, rep_needed=False)),
        (10, "assigned", True, False, Waiting(W.PENDING, rep_needed=False)),
        (10, "open", False, False, Waiting(W.PENDING, rep_needed=True)),
        (10, "open", False, True, Waiting(W.PENDING, rep_needed=False)),
        (179, "assigned", True, False, Waiting(W.PENDING, rep_needed=False)),
        (180, "open", False, False, Waiting(W.SOON_OVERDUE, rep_needed=True)),
        (299, "assigned", True, False, Waiting(W.SOON_OVERDUE, rep_needed=False)),
        (300, "open", False, False, Waiting(W.OVERDUE, rep_needed=True)),
        (9999, "assigned", True, True, Waiting(W.OVERDUE, rep_needed=False)),
    ],
)
def test_the_badge_shows_the_age_state_and_the_rep_needed_flag_beside_it(
    waited, status, owned, joined, expected
):
    conversation = Conversation(
        status=status,
        owner_id=1 if owned else None,
        waiting_since=None if waited is None else NOW - timedelta(seconds=waited),
    )
    assert waiting_of(conversation=conversation, anyone_joined=joined, now=NOW) == expected


def test_thresholds_are_settings(settings):
    settings.SOON_OVERDUE_AFTER_SECONDS = 10
    settings.OVERDUE_AFTER_SECONDS = 20
    conversation = Conversation(status="assigned", waiting_since=NOW - timedelta(seconds=15))
    waiting = waiting_of(conversation=conversation, anyone_joined=False, now=NOW)
    assert waiting.state == W.SOON_OVERDUE


def test_filters_select_the_same_conversations_as_the_badge(alice, alice_line):
    def make(phone, *, waited, owner=alice, status="assigned"):
        c = receive(alice_line, phone).conversation
        since = None if waited is None else NOW - timedelta(seconds=waited)
        Conversation.objects.filter(pk=c.pk).update(waiting_since=since, owner=owner, status=status)
        return c.pk

    fresh = make("+12025550101", waited=10)
    soon = make("+12025550102", waited=200)
    late = make("+12025550103", waited=400)
    unowned = make("+12025550104", waited=10, owner=None, status="open")
    joined = make("+12025550105", waited=400, owner=None, status="open")
    Participation.objects.create(user=alice, conversation_id=joined, joined_at=NOW)
    make("+12025550106", waited=None)
    make("+12025550107", waited=400, owner=None, status="closed")

    def matching(state):
        return set(
            Conversation.objects.filter(waiting_q(state, now=NOW)).values_list("pk", flat=True)
        )

    assert matching(W.PENDING) == {fresh, soon, late, unowned, joined}
    assert matching(W.SOON_OVERDUE) == {soon}
    assert matching(W.OVERDUE) == {late, joined}
    assert matching(W.REP_NEEDED) == {unowned}

    badges = {
        c.pk: waiting_of(conversation=c, anyone_joined=c.anyone_joined, now=NOW)
        for c in with_anyone_joined(Conversation.objects.all())
    }
    assert matching(W.PENDING) == {pk for pk, w in badges.items() if w.state}
    for state in (W.SOON_OVERDUE, W.OVERDUE):
        assert matching(state) == {pk for pk, w in badges.items() if w.state == state}
    assert matching(W.REP_NEEDED) == {pk for pk, w in badges.items() if w.rep_needed}


def test_a_reply_stops_the_wait(alice, alice_line, tasks):
    conversation = receive(alice_line, "+12025550123").conversation
    message_send(conversation=conversation, author=alice, body="On it")
    conversation.refresh_from_db()
    assert waiting_of(conversation=conversation, anyone_joined=False, now=NOW).state is None
    assert not Conversation.objects.filter(waiting_q(W.PENDING, now=NOW)).exists()


def test_rep_needed_until_someone_owns_or_joins(shared_line, admin, alice):
    conversation = receive(shared_line, "+12025550123").conversation
    Conversation.objects.filter(pk=conversation.pk).update(owner=None)
    rep_needed = Conversation.objects.filter(waiting_q(W.REP_NEEDED, now=timezone.now()))
    assert rep_needed.exists()
    Participation.objects.create(user=alice, conversation=conversation, joined_at=timezone.now())
    assert not rep_needed.exists()
    Participation.objects.all().delete()
    Conversation.objects.filter(pk=conversation.pk).update(owner=alice)
    assert not rep_needed.exists()


BADGE = re.compile(r'class="waiting waiting-(\w+)"[^>]*>([^<·]*)')


def badges(html: str) -> list[tuple[str, str]]:
    return [(state, label.strip()) for state, label in BADGE.findall(html)]


@pytest.mark.parametrize(
    ("waited", "owned", "expected"),
    [
        (10, True, [("pending", "Pending")]),
        (200, True, [("soon_overdue", "Soon overdue")]),
        (400, True, [("overdue", "Overdue")]),
        (10, False, [("pending", "Pending"), ("rep_needed", "Rep needed")]),
        (None, True, []),
    ],
)
def test_a_row_and_its_window_header_show_the_same_badges(
    client, admin, alice, alice_line, waited, owned, expected
):
    conversation = receive(alice_line, "+12025550123").conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        owner=alice if owned else None,
        waiting_since=None if waited is None else timezone.now() - timedelta(seconds=waited),
    )
    client.force_login(admin)
    row = client.get(
        reverse("inbox:sender_inbox", args=[alice_line.public_id]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="conversation-list",
    ).content.decode()
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    header = re.search(r'<header id="thread-header".*?</header>', page.content.decode(), re.S)
    assert badges(row) == badges(header.group()) == expected

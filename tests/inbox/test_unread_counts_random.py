"""Random days of changes: after each, the kept unread counts (and the My Inbox badge) of
every user equal a plain count over what they may open."""

import random
import time
from contextlib import suppress
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inbox.access import visible_conversations
from inbox.models import Channel, Conversation, SenderId, Team, TeamMode
from inbox.selectors import unread_tally
from inbox.selectors.counts import inbox_nav, unread_count
from inbox.services import read_state
from inbox.services.assignment import conversations_assign
from inbox.services.bot import conversation_bot_hand_over
from inbox.services.conversation_status import conversations_set_status
from inbox.services.notes import NoteRefused, note_add
from inbox.services.read_state import conversations_mark_read, conversations_mark_unread
from inbox.services.sending import SendRefused, message_send
from inbox.services.snooze import conversation_snooze, snoozes_wake
from inbox.services.teams import TeamActionRefused, conversation_grab, conversation_join

from ..conftest import receive
from .test_unread_counts import expected_counts, fresh, shown_to

STEPS = 40


@pytest.mark.parametrize(
    ("rows_max", "noted_max"),
    [(100_000, 300), (1, 1)],
    ids=["rows kept, read marks followed", "too many rows, read marks counted again"],
)
@pytest.mark.parametrize("seed", range(2))
def test_kept_counts_equal_a_plain_count_through_a_random_day(
    admin,
    alice,
    bob,
    carol,
    alice_line,
    bob_line,
    shared_line,
    support_team,
    settled,
    monkeypatch,
    rows_max,
    noted_max,
    seed,
):
    monkeypatch.setattr(unread_tally, "ROWS_MAX", rows_max)
    monkeypatch.setattr(read_state, "NOTED_MAX", noted_max)
    rnd = random.Random(seed)
    grab = Team.objects.create(name="Grab", mode=TeamMode.GRAB)
    grab.members.add(alice, bob)
    lines = [
        alice_line,
        bob_line,
        shared_line,
        SenderId.objects.create(
            address="+14155550150", channel=Channel.SMS, label="Grab line", team=grab
        ),
        SenderId.objects.create(
            address="+14155550151", channel=Channel.SMS, label="Collab line", team=support_team
        ),
    ]
    people = [alice, bob, admin, carol]
    clients = {u.pk: Client() for u in people}
    for u in people:
        clients[u.pk].force_login(u)
    customers = [f"+120255501{i:02d}" for i in range(8)]

    def open_one(u, visible, c):
        clients[u.pk].get(reverse("inbox:conversation", args=[rnd.choice(visible).public_id]))

    def mark(u, visible, c):
        some = rnd.sample(visible, min(len(visible), rnd.randint(1, 3)))
        change = rnd.choice([conversations_mark_read, conversations_mark_unread])
        change(user=fresh(u), conversations=some)

    def assign(u, visible, c):
        conversations_assign(conversations=[c], assignee=fresh(rnd.choice([alice, bob])), by=admin)

    def mention(u, visible, c):
        note_add(conversation=c, author=admin, body=f"@{rnd.choice(people[:3]).username} look")

    def send(u, visible, c):
        message_send(conversation=c, author=fresh(u), body="Yes")

    def grab_or_join(u, visible, c):
        rnd.choice([conversation_grab, conversation_join])(conversation=c, user=fresh(u))

    def snooze_and_wake(u, visible, c):
        # Woken by the beat a moment later (it stamps with its own clock: never ahead).
        until = timezone.now() + timedelta(milliseconds=10)
        conversation_snooze(conversation=c, by=fresh(u), until=until)
        time.sleep(0.02)
        snoozes_wake(now=timezone.now())

    def close_or_reopen(u, visible, c):
        status = rnd.choice(["closed", "open"])
        conversations_set_status(conversations=[c], status=status, by=None)

    def bot_hands_over(u, visible, c):
        Conversation.objects.filter(pk=c.pk).update(with_bot=True, changed_at=timezone.now())
        conversation_bot_hand_over(conversation_id=c.pk, note="Needs a person", bot="Bot")

    changes = [open_one, open_one, mark, assign, mention, send, grab_or_join]
    changes += [snooze_and_wake, close_or_reopen, bot_hands_over]
    # A request that began before the last changes (another tab) counts now and then.
    began_earlier = {}
    for _ in range(STEPS):
        u = rnd.choice(people[:3])
        visible = list(visible_conversations(fresh(u)))
        if rnd.random() < 0.4 or not visible:
            receive(rnd.choice(lines), rnd.choice(customers), "Hi")
        else:
            # Refused (not theirs to do): nothing changed.
            with suppress(SendRefused, TeamActionRefused, NoteRefused):
                rnd.choice(changes)(u, visible, rnd.choice(list(Conversation.objects.all())))
        if rnd.random() < 0.25:
            began_earlier[u.pk] = fresh(u)
        elif began_earlier and rnd.random() < 0.3:
            earlier = began_earlier[rnd.choice(list(began_earlier))]
            rnd.choice([inbox_nav, unread_count])(user=earlier)
        for person in people:
            assert shown_to(person) == expected_counts(person), person
            assert unread_count(user=fresh(person)) == expected_counts(person)[0], person

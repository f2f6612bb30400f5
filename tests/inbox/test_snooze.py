"""Snooze (F-CO3): until a time in my time zone or the customer's next message."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from inbox import tasks
from inbox.models import ConversationEvent, User
from inbox.pure.snooze_times import BadSnoozeTime, snooze_choices, snooze_until

from ..conftest import receive

PARIS = ZoneInfo("Europe/Paris")


def snooze(client, conversation, **fields):
    url = reverse("inbox:snooze", args=[conversation.public_id])
    return client.post(url, fields, headers={"HX-Request": "true"})


def listed(client, name: str) -> list[int]:
    return [c.pk for c in client.get(reverse(name)).context["conversations"]]


def test_choices_are_in_my_time_zone():
    # Sunday 23:30 in Paris is Sunday 22:30 UTC: "tomorrow" and "next Monday" are the
    # same Monday, 09:00 Paris time.
    now = datetime(2026, 12, 6, 22, 30, tzinfo=UTC)
    choices = {c.key: c.at for c in snooze_choices(now=now, tz=PARIS)}
    assert choices["hour"] == datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert choices["tomorrow"] == datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
    assert choices["monday"] == datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
    assert choices["reply"] is None


def test_next_monday_on_a_monday_is_a_week_on():
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris
    assert snooze_until("monday", now=now, tz=PARIS) == datetime(2026, 12, 14, 9, tzinfo=PARIS)


def test_a_custom_time_is_local_and_must_be_in_the_future():
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    at = snooze_until("custom", now=now, tz=PARIS, custom="2026-12-07T09:01")
    assert at == datetime(2026, 12, 7, 8, 1, tzinfo=UTC)
    with pytest.raises(BadSnoozeTime, match="future"):
        snooze_until("custom", now=now, tz=PARIS, custom="2026-12-07T09:00")
    with pytest.raises(BadSnoozeTime):
        snooze_until("custom", now=now, tz=PARIS, custom="soon")


def test_a_snoozed_conversation_leaves_my_inbox_and_comes_back_unread_at_its_time(
    client, alice, conversation
):
    User.objects.filter(pk=alice.pk).update(time_zone="Europe/Paris")
    client.force_login(alice)
    with time_machine.travel(datetime(2026, 12, 7, 15, 0, tzinfo=UTC), tick=False) as clock:
        client.get(reverse("inbox:conversation", args=[conversation.public_id]))
        response = snooze(client, conversation, until="tomorrow")
        assert response.status_code == 200
        assert "Snoozed until Tue 8 Dec 09:00" in response.content.decode()
        assert listed(client, "inbox:my_inbox") == []
        assert listed(client, "inbox:snoozed") == [conversation.pk]

        clock.move_to(datetime(2026, 12, 8, 7, 59, 59, tzinfo=UTC))  # 08:59:59 in Paris
        assert tasks.wake_snoozed_conversations() == 0
        assert listed(client, "inbox:my_inbox") == []

        clock.move_to(datetime(2026, 12, 8, 8, 0, tzinfo=UTC))
        assert tasks.wake_snoozed_conversations() == 1
        rows = client.get(reverse("inbox:my_inbox")).context["conversations"]
        assert [(c.pk, c.is_unread) for c in rows] == [(conversation.pk, True)]
        assert listed(client, "inbox:snoozed") == []
        assert ConversationEvent.objects.filter(
            conversation=conversation, kind=ConversationEvent.Kind.WOKE
        ).exists()


def test_until_the_customer_writes_ends_with_their_message(client, alice, alice_line, conversation):
    client.force_login(alice)
    snooze(client, conversation, until="reply")
    assert listed(client, "inbox:my_inbox") == []
    receive(alice_line, "+12025550123", "Any news?")
    assert listed(client, "inbox:my_inbox") == [conversation.pk]
    woke = ConversationEvent.objects.get(kind=ConversationEvent.Kind.WOKE)
    assert woke.body == "The customer wrote"


def test_unsnooze_by_hand(client, alice, conversation):
    client.force_login(alice)
    snooze(client, conversation, until="hour")
    snooze(client, conversation, until="off")
    assert listed(client, "inbox:my_inbox") == [conversation.pk]


def test_bad_snooze_input_is_refused_with_the_reason(client, alice, conversation):
    client.force_login(alice)
    response = snooze(client, conversation, until="custom", at="not a date")
    assert response.status_code == 422
    assert "Pick a date and time" in response.content.decode()
    assert snooze(client, conversation, until="forever").status_code == 422
    assert listed(client, "inbox:my_inbox") == [conversation.pk]


def test_snooze_is_404_to_another_agent_and_needs_a_sign_in(client, bob, conversation):
    assert snooze(client, conversation, until="hour").status_code == 302
    client.force_login(bob)
    assert snooze(client, conversation, until="hour").status_code == 404
    conversation.refresh_from_db()
    assert conversation.snoozed_by is None


def test_beat_wakes_snoozes():
    entry = settings.CELERY_BEAT_SCHEDULE["wake-snoozed-conversations"]
    assert entry["task"] == "inbox.tasks.wake_snoozed_conversations"
    assert entry["schedule"] <= 60


def test_the_snoozed_view_has_fixed_queries(client, alice, alice_line, django_assert_num_queries):
    from inbox.services.snooze import conversation_snooze

    def snoozed(start, n):
        for i in range(start, start + n):
            c = receive(alice_line, f"+1202555{i:04d}").conversation
            conversation_snooze(conversation=c, by=alice, until=None)

    client.force_login(alice)
    snoozed(0, 2)
    with django_assert_num_queries(11):
        assert len(listed(client, "inbox:snoozed")) == 2
    snoozed(2, 5)
    with django_assert_num_queries(11):
        assert len(listed(client, "inbox:snoozed")) == 7


def test_an_agent_whose_time_zone_is_unknown_snoozes_in_the_servers(client, alice, conversation):
    """As their pages show times (the server's TIME_ZONE, UTC here), not a 500."""
    User.objects.filter(pk=alice.pk).update(time_zone="Mars/Olympus_Mons")
    client.force_login(alice)
    with time_machine.travel(datetime(2026, 12, 7, 15, 0, tzinfo=UTC), tick=False):
        response = snooze(client, conversation, until="tomorrow")
    assert response.status_code == 200
    assert "Snoozed until Tue 8 Dec 09:00" in response.content.decode()
    event = ConversationEvent.objects.filter(conversation=conversation).latest("id")
    assert event.body == "until Tue 8 Dec 09:00"

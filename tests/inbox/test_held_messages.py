"""Sends outside business hours wait for opening and then go out once (F-CP4)."""

import threading

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from inbox.models import (
    AutoKind,
    Contact,
    ConversationEvent,
    HoursMode,
    Message,
    MessageStatus,
)
from inbox.services.held_messages import held_message_release
from inbox.services.sending import message_send
from inbox.tasks import recover_stuck_messages, release_due_held_messages

from ..conftest import receive
from .hours_support import london, set_office_hours

FRIDAY_EVENING = london(2026, 12, 4, 18, 30)
MONDAY_OPENING = london(2026, 12, 7, 9, 0)
HELD_NOTE = "Will be sent Monday 09:00, UTC time (outside business hours)"


@pytest.fixture
def conversation(alice_line, admin):
    set_office_hours()
    with time_machine.travel(london(2026, 12, 4, 17, 0), tick=False):
        return receive(alice_line, "+12025550123", "Where is my parcel?").conversation


@pytest.fixture
def held(alice, conversation, tasks, django_capture_on_commit_callbacks):
    """Alice's reply, written on Friday evening after closing."""
    with (
        time_machine.travel(FRIDAY_EVENING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return message_send(conversation=conversation, author=alice, body="It left today")


def run_release(tasks, at, django_capture_on_commit_callbacks):
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        tasks.run_named("inbox.tasks.release_held_message")


def test_a_send_after_closing_is_held_until_the_next_opening(held, tasks):
    held.refresh_from_db()
    assert held.status == MessageStatus.SCHEDULED
    assert held.scheduled_for == MONDAY_OPENING
    assert tasks.names == ["inbox.tasks.release_held_message"]
    # Its task is due at the opening: 62.5 hours after Friday 18:30.
    assert tasks.queued[0].countdown == pytest.approx(62.5 * 3600)


def test_a_send_the_minute_before_closing_goes_at_once(
    alice, conversation, tasks, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(london(2026, 12, 4, 17, 59), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = message_send(conversation=conversation, author=alice, body="On its way")
    assert message.status == MessageStatus.QUEUED
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_the_thread_and_the_compose_box_say_when_it_goes(client, alice, conversation, held):
    client.force_login(alice)
    with time_machine.travel(london(2026, 12, 4, 19, 0), tick=False):
        html = client.get(reverse("inbox:conversation", args=[conversation.public_id])).content
    html = html.decode()
    assert f'title="{HELD_NOTE}"' in html  # on hover, on the clock
    assert f'<p class="held-until">{HELD_NOTE}' in html  # under the bubble
    assert "what you send now will be sent Monday 09:00" in html
    assert "Edit or cancel" in html


SEND_NOW_HELD = "what you send now will be sent Monday 09:00"


def test_the_new_conversation_page_warns_for_a_closed_sender(client, alice, alice_line, admin):
    set_office_hours()
    client.force_login(alice)
    new, picked = reverse("inbox:conversation_new"), reverse("inbox:conversation_new_sender")
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        assert SEND_NOW_HELD in client.get(new, {"sender": alice_line.pk}).content.decode()
        assert SEND_NOW_HELD in client.get(picked, {"sender": alice_line.pk}).content.decode()
        # Alice's only sender ID is chosen for her: the page warns at once.
        assert SEND_NOW_HELD in client.get(new).content.decode()
    with time_machine.travel(london(2026, 12, 4, 10, 0), tick=False):
        assert SEND_NOW_HELD not in client.get(new, {"sender": alice_line.pk}).content.decode()
        assert SEND_NOW_HELD not in client.get(picked, {"sender": alice_line.pk}).content.decode()


def test_the_sender_notice_is_only_for_the_users_own_sender_ids(
    client, alice, alice_line, bob_line, admin, django_assert_num_queries
):
    set_office_hours()
    client.force_login(alice)
    picked = reverse("inbox:conversation_new_sender")
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        assert SEND_NOW_HELD not in client.get(picked, {"sender": bob_line.pk}).content.decode()
        assert client.get(picked, {"sender": "not-a-number"}).status_code == 200
        with django_assert_num_queries(5):  # session, user, the sender ID, hours, holidays
            client.get(picked, {"sender": alice_line.pk})
        # The page: session, user, the organisation's region, the sender IDs (only one: the
        # choice), the chosen sender ID and its hours (organisation, holidays), the tab's
        # unread count.
        with django_assert_num_queries(8):
            client.get(reverse("inbox:conversation_new"), {"sender": alice_line.pk})


def test_it_is_released_at_the_opening_minute_not_before(
    held, tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(london(2026, 12, 7, 8, 59), tick=False):
        assert held_message_release(message_id=held.pk) is False
    assert Message.objects.get(pk=held.pk).status == MessageStatus.SCHEDULED

    run_release(tasks, MONDAY_OPENING, django_capture_on_commit_callbacks)

    assert tasks.names == ["inbox.tasks.deliver_message"]
    with time_machine.travel(MONDAY_OPENING, tick=False):
        tasks.run_all()
    released = Message.objects.get(pk=held.pk)
    assert released.provider_sid and released.sent_at == MONDAY_OPENING


def test_a_release_run_twice_sends_once(held, tasks, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(MONDAY_OPENING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert held_message_release(message_id=held.pk) is True
        assert held_message_release(message_id=held.pk) is False
    assert tasks.names.count("inbox.tasks.deliver_message") == 1


@pytest.mark.django_db(transaction=True)
def test_two_racing_workers_release_a_message_once(alice, alice_line, admin, tasks, on_postgres):
    if not on_postgres:
        pytest.skip("needs PostgreSQL: SQLite serialises the two workers anyway")
    set_office_hours()
    conversation = receive(alice_line, "+12025550123").conversation
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        held = message_send(conversation=conversation, author=alice, body="Hello")
    tasks.queued.clear()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(held_message_release(message_id=held.pk, now=MONDAY_OPENING))
        finally:
            connection.close()

    with time_machine.travel(MONDAY_OPENING, tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(results) == [False, True]
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_a_worker_down_at_opening_sends_when_the_sweep_runs(
    held, tasks, django_capture_on_commit_callbacks
):
    tasks.queued.clear()  # the release task was lost with the worker
    with (
        time_machine.travel(london(2026, 12, 7, 9, 40), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert release_due_held_messages.apply().get() == 1
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_stuck_message_recovery_leaves_held_messages_alone(held, tasks):
    tasks.queued.clear()
    with time_machine.travel(london(2026, 12, 7, 8, 0), tick=False):
        assert recover_stuck_messages.apply().get() == 0
    assert Message.objects.get(pk=held.pk).status == MessageStatus.SCHEDULED
    assert tasks.names == []


def test_an_opt_out_over_the_weekend_fails_it_at_release(
    held, tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(london(2026, 12, 5, 10, 0), tick=False):
        receive(held.conversation.sender_id, "+12025550123", "STOP")
    run_release(tasks, MONDAY_OPENING, django_capture_on_commit_callbacks)
    tasks.run_all()
    failed = Message.objects.get(pk=held.pk)
    assert failed.status == MessageStatus.FAILED
    assert failed.provider_sid is None


def test_a_morning_backlog_is_paced_by_the_sender_id(
    alice, conversation, tasks, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(FRIDAY_EVENING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        for n in range(3):
            message_send(conversation=conversation, author=alice, body=f"Reply {n}")
    run_release(tasks, MONDAY_OPENING, django_capture_on_commit_callbacks)
    # One segment per second on this line: 0, 1 and 2 seconds after the opening.
    assert [round(q.countdown) for q in tasks.queued] == [0, 1, 2]


def test_a_help_reply_is_never_held(alice_line, admin, tasks, django_capture_on_commit_callbacks):
    set_office_hours()
    with (
        time_machine.travel(FRIDAY_EVENING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        conversation = receive(alice_line, "+12025550123", "HELP").conversation
    reply = Message.objects.get(conversation=conversation, auto_kind=AutoKind.HELP)
    assert reply.status == MessageStatus.QUEUED
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_a_24_7_sender_id_sends_on_sunday(
    alice, conversation, tasks, django_capture_on_commit_callbacks
):
    conversation.sender_id.hours = HoursMode.ALWAYS
    conversation.sender_id.save()
    with (
        time_machine.travel(london(2026, 12, 6, 11, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = message_send(conversation=conversation, author=alice, body="Sunday reply")
    assert message.status == MessageStatus.QUEUED


def test_the_author_edits_it_until_it_goes(client, alice, held, tasks):
    client.force_login(alice)
    url = reverse("inbox:held_message", args=[held.conversation.public_id, held.public_id])
    with time_machine.travel(london(2026, 12, 5, 10, 0), tick=False):
        page = client.get(url)
        assert HELD_NOTE in page.text and "It left today" in page.text
        response = client.post(url, {"body": "It left today, tracking to follow"})
    assert response.status_code == 302
    assert Message.objects.get(pk=held.pk).body == "It left today, tracking to follow"
    held.conversation.refresh_from_db()
    assert held.conversation.last_message_preview == "It left today, tracking to follow"

    Message.objects.filter(pk=held.pk).update(status=MessageStatus.QUEUED)
    assert client.post(url, {"body": "Too late"}).status_code == 404


def test_an_empty_edit_is_refused_and_keeps_the_text(client, alice, held):
    client.force_login(alice)
    url = reverse("inbox:held_message", args=[held.conversation.public_id, held.public_id])
    with time_machine.travel(london(2026, 12, 5, 10, 0), tick=False):
        response = client.post(url, {"body": "   "})
    assert response.status_code == 422
    assert Message.objects.get(pk=held.pk).body == "It left today"


def test_the_author_cancels_it_and_the_thread_says_so(client, alice, held, tasks):
    client.force_login(alice)
    url = reverse("inbox:held_message_cancel", args=[held.conversation.public_id, held.public_id])
    with time_machine.travel(london(2026, 12, 5, 10, 0), tick=False):
        assert client.post(url).status_code == 302
    assert not Message.objects.filter(pk=held.pk).exists()
    event = ConversationEvent.objects.get(kind=ConversationEvent.Kind.HELD_CANCELLED)
    assert event.actor == alice and event.body == "It left today"
    with time_machine.travel(MONDAY_OPENING, tick=False):
        tasks.run_all()
    assert tasks.names == []


@pytest.mark.parametrize("name", ["held_message", "held_message_cancel"])
def test_who_may_change_a_held_message(client, held, admin, bob, carol, name):
    url = reverse(f"inbox:{name}", args=[held.conversation.public_id, held.public_id])
    method = client.get if name == "held_message" else client.post
    assert method(url).status_code == 302 and "/accounts/login/" in method(url).url
    for outsider in (carol, bob):  # an agent who cannot see it; one who is not its author
        client.force_login(outsider)
        assert method(url).status_code == 404
    client.force_login(admin)
    assert method(url).status_code in (200, 302)


def test_an_admin_opening_the_hours_now_sends_what_was_held(
    client, admin, held, tasks, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    saturday = london(2026, 12, 5, 10, 0)
    data = {f"day_{d}": "00:00-00:00" for d in range(7)}
    data |= {"hours_enabled": "on", "time_zone": "Europe/London"}
    tasks.queued.clear()
    with (
        time_machine.travel(saturday, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert client.post(reverse("inbox:hours_settings"), data).status_code == 302
    assert Message.objects.get(pk=held.pk).scheduled_for == saturday
    run_release(tasks, saturday, django_capture_on_commit_callbacks)
    assert tasks.names == ["inbox.tasks.deliver_message"]


def test_hours_closed_since_it_was_held_make_it_wait_for_the_new_opening(
    held, tasks, django_capture_on_commit_callbacks
):
    set_office_hours({str(d): [["10:00", "18:00"]] for d in range(5)})
    tasks.queued.clear()
    run_release(tasks, london(2026, 12, 7, 9, 0), django_capture_on_commit_callbacks)
    tasks.queued.clear()
    with time_machine.travel(MONDAY_OPENING, tick=False):
        assert held_message_release(message_id=held.pk) is False
    assert Message.objects.get(pk=held.pk).scheduled_for == london(2026, 12, 7, 10, 0)


def test_an_opted_out_customer_is_refused_before_holding(alice, conversation):
    from inbox.services.sending import SendRefused

    Contact.objects.filter(pk=conversation.contact_id).update(sms_opted_out_at=FRIDAY_EVENING)
    conversation.contact.refresh_from_db()
    with time_machine.travel(FRIDAY_EVENING, tick=False), pytest.raises(SendRefused):
        message_send(conversation=conversation, author=alice, body="Hello")


def test_a_cancelled_held_message_leaves_the_lists_preview(client, alice, held):
    client.force_login(alice)
    url = reverse("inbox:held_message_cancel", args=[held.conversation.public_id, held.public_id])
    with time_machine.travel(london(2026, 12, 5, 10, 0), tick=False):
        assert client.post(url).status_code == 302
    held.conversation.refresh_from_db()
    assert held.conversation.last_message_preview == "Where is my parcel?"
    assert held.conversation.last_message_direction == "in"


def test_editing_a_held_message_the_customer_wrote_after_keeps_their_preview(
    client, alice, alice_line, held
):
    with time_machine.travel(london(2026, 12, 5, 9, 0), tick=False):
        receive(alice_line, "+12025550123", "Any news?")
    client.force_login(alice)
    url = reverse("inbox:held_message", args=[held.conversation.public_id, held.public_id])
    with time_machine.travel(london(2026, 12, 5, 10, 0), tick=False):
        assert client.post(url, {"body": "It left today, tracking to follow"}).status_code == 302
    held.conversation.refresh_from_db()
    assert held.conversation.last_message_preview == "Any news?"
    assert held.conversation.last_message_direction == "in"

"""Unread counts in the navigation and the Team Inbox are kept, and never go stale."""

from datetime import timedelta
from itertools import product

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inbox import versions
from inbox.access import usable_sender_ids, visible_conversations, visible_parts
from inbox.models import (
    Channel,
    Conversation,
    Participation,
    Role,
    SenderId,
    Team,
    TeamMode,
    User,
)
from inbox.selectors.counts import inbox_nav, unread_count
from inbox.selectors.lists import mentioned_unseen, with_unread
from inbox.services import read_state
from inbox.services.assignment import conversations_assign
from inbox.services.conversation_status import conversation_set_status
from inbox.services.notes import note_add
from inbox.services.read_state import conversation_mark_read
from inbox.services.sending import message_send
from inbox.services.teams import conversation_join

from ..conftest import receive


def nav(client):
    response = client.get(reverse("inbox:my_inbox"))
    return response.context["nav"]


def test_counts_are_kept_between_pages_while_nothing_changes(
    client, alice, alice_line, settled, django_assert_num_queries
):
    receive(alice_line, "+12025550101", "Hello")
    client.force_login(alice)
    assert nav(client).mine == 1
    # Session, user, rows, their labels, sender IDs, my sender IDs and teams, newest change,
    # labels, assignees: no counting.
    with django_assert_num_queries(9):
        assert nav(client).mine == 1


def test_a_new_customer_message_is_counted_at_once(client, alice, alice_line, settled):
    receive(alice_line, "+12025550101", "Hello")
    client.force_login(alice)
    assert nav(client).mine == 1
    receive(alice_line, "+12025550102", "Me too")
    counts = nav(client)
    assert counts.mine == 2
    assert {s.pk: s.unread for s in counts.senders}[alice_line.pk] == 2


def test_reading_and_marking_unread_change_my_counts(client, alice, alice_line, settled):
    c = receive(alice_line, "+12025550101", "Hello").conversation
    client.force_login(alice)
    assert nav(client).mine == 1
    client.get(reverse("inbox:conversation", args=[c.public_id]))
    assert nav(client).mine == 0
    client.post(reverse("inbox:bulk"), {"ids": [c.public_id], "action": "unread"})
    assert nav(client).mine == 1


def test_a_line_shared_with_me_shows_its_count(client, alice, bob, bob_line, settled):
    receive(bob_line, "+12025550101", "Hello")
    client.force_login(alice)
    assert bob_line.pk not in {s.pk for s in nav(client).senders}
    bob_line.shared_with.add(alice)
    assert {s.pk: s.unread for s in nav(client).senders}[bob_line.pk] == 1


def test_a_conversation_assigned_away_leaves_my_count(
    client, admin, alice, bob, alice_line, settled
):
    c = receive(alice_line, "+12025550101", "Hello").conversation
    client.force_login(alice)
    assert nav(client).mine == 1
    conversations_assign(conversations=[c], assignee=bob, by=admin)
    assert nav(client).mine == 0


def test_the_team_inbox_follows_what_the_agent_reads(client, admin, alice, alice_line, settled):
    c = receive(alice_line, "+12025550101", "Hello").conversation
    client.force_login(admin)
    team = reverse("inbox:team_inbox")
    assert {a.username: a.unread for a in client.get(team).context["agents"]}["alice"] == 1
    agent = client.__class__()
    agent.force_login(alice)
    agent.get(reverse("inbox:conversation", args=[c.public_id]))
    assert {a.username: a.unread for a in client.get(team).context["agents"]}["alice"] == 0


def test_a_change_that_commits_behind_a_newer_one_is_still_counted(client, alice, alice_line):
    newer = receive(alice_line, "+12025550101", "Hello").conversation
    client.force_login(alice)
    assert nav(client).mine == 1
    # Stamped before the newest change the counts have seen, committed after they were kept.
    late = receive(alice_line, "+12025550102", "Hello").conversation
    Conversation.objects.filter(pk=late.pk).update(
        changed_at=Conversation.objects.get(pk=newer.pk).changed_at - timedelta(milliseconds=500)
    )
    assert nav(client).mine == 2


def test_counts_follow_changes_without_counting_again(
    client, alice, alice_line, shared_line, django_assert_num_queries
):
    receive(alice_line, "+12025550101", "Hello")
    client.force_login(alice)
    assert nav(client).mine == 1
    receive(alice_line, "+12025550102", "Hello")
    receive(shared_line, "+12025550103", "Hello")
    # As while nothing changes, and the conversations changed since: no counting.
    with django_assert_num_queries(10):
        counts = nav(client)
    assert counts.mine == 2
    assert {s.pk: s.unread for s in counts.senders} == {alice_line.pk: 2, shared_line.pk: 1}


def test_a_team_turned_to_grab_mode_hides_what_others_grabbed(
    client, alice, bob, support_team, settled
):
    team_line = SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team line", team=support_team
    )
    c = receive(team_line, "+12025550101", "Hello").conversation
    conversation_join(conversation=c, user=alice)
    message_send(conversation=c, author=alice, body="On it")
    receive(team_line, "+12025550101", "Thanks")
    Conversation.objects.filter(pk=c.pk).update(owner=bob, team=support_team)  # bob grabbed it
    client.force_login(alice)
    assert nav(client).sent == 1
    support_team.mode = TeamMode.GRAB
    support_team.save()
    assert nav(client).sent == 0


def test_the_navigation_shows_a_renamed_line_at_once(client, alice, alice_line, settled):
    receive(alice_line, "+12025550101", "Hello")
    client.force_login(alice)
    assert "Alice&#x27;s line" in client.get(reverse("inbox:my_inbox")).content.decode()
    alice_line.label = "Sales"
    alice_line.save()
    page = client.get(reverse("inbox:my_inbox")).content.decode()
    assert "Sales" in page and "Alice&#x27;s line" not in page


def test_the_navigation_marks_the_list_that_is_open(
    client, alice, alice_line, shared_line, settled
):
    receive(alice_line, "+12025550101", "Hello")
    client.force_login(alice)
    lists = [reverse("inbox:my_inbox")] + [
        reverse("inbox:sender_inbox", args=[line.public_id]) for line in (alice_line, shared_line)
    ]

    def current(url):
        page = client.get(url).content.decode()
        marked = 'hx-swap="outerHTML" hx-push-url="true" aria-current="page"'
        return [
            href
            for href in lists
            if f'href="{href}" hx-get="{href}" hx-target="#main" hx-select="#main" {marked}' in page
        ]

    for url in lists + lists:
        assert current(url) == [url]


def test_opening_unread_conversations_follows_the_counts_without_counting_again(
    client, alice, alice_line, shared_line, settled
):
    replied = receive(alice_line, "+12025550101", "Hello").conversation
    message_send(conversation=replied, author=alice, body="Hi")
    receive(alice_line, "+12025550101", "Still there?")
    mine = receive(alice_line, "+12025550102", "Hello").conversation
    shared = receive(shared_line, "+12025550103", "Hello").conversation
    client.force_login(alice)

    def shown():
        counts = nav(client)
        return counts.mine, counts.sent, {s.pk: s.unread for s in counts.senders}

    def counted_afresh():
        cache.clear()
        return shown()

    assert shown() == (2, 1, {alice_line.pk: 2, shared_line.pk: 1})
    for conversation, expected in [
        (replied, (1, 0, {alice_line.pk: 1, shared_line.pk: 1})),
        (shared, (1, 0, {alice_line.pk: 1, shared_line.pk: 0})),
        (mine, (0, 0, {alice_line.pk: 0, shared_line.pk: 0})),
    ]:
        nav(client)  # the counts before this read are kept
        with CaptureQueriesContext(connection) as window:
            client.get(reverse("inbox:conversation", args=[conversation.public_id]))
        # The window's navigation follows the read instead of counting again.
        assert not [q for q in window.captured_queries if "COUNT(" in q["sql"]]
        assert shown() == expected
        assert counted_afresh() == expected


def test_a_page_counting_while_another_tab_reads_does_not_skew_the_counts(
    alice, alice_line, settled
):
    opened = receive(alice_line, "+12025550101", "Hello").conversation
    receive(alice_line, "+12025550102", "Hello")
    list_refresh = User.objects.get(pk=alice.pk)  # a request that began before the read
    conversation_mark_read(user=User.objects.get(pk=alice.pk), conversation=opened)
    # The older request counts after the read: right for itself, but not to be kept under
    # the stamp it began with, which the read's adjustment starts from.
    assert inbox_nav(user=list_refresh).mine == 1
    assert inbox_nav(user=User.objects.get(pk=alice.pk)).mine == 1


def test_two_tabs_reading_the_same_conversation_at_once_subtract_it_once(
    alice, alice_line, settled, monkeypatch
):
    opened = receive(alice_line, "+12025550101", "Hello").conversation
    receive(alice_line, "+12025550102", "Hello")

    def fresh_alice():
        return User.objects.get(pk=alice.pk)

    assert inbox_nav(user=fresh_alice()).mine == 2
    changing_marks = read_state._changing_marks
    other_tab = [opened]

    def other_tab_reads_first(user, *args, **kwargs):
        # The other tab reads it between this tab's look at the marks and its lock, and
        # its page keeps the counts that follow that read.
        if other_tab:
            conversation_mark_read(user=fresh_alice(), conversation=other_tab.pop())
            assert inbox_nav(user=fresh_alice()).mine == 1
        return changing_marks(user, *args, **kwargs)

    monkeypatch.setattr(read_state, "_changing_marks", other_tab_reads_first)
    conversation_mark_read(user=fresh_alice(), conversation=opened)

    assert inbox_nav(user=fresh_alice()).mine == 1


def test_the_navigation_reads_the_conversation_on_screen_before_counting(
    client, alice, alice_line, bob_line, settled
):
    receive(alice_line, "+12025550101", "Hello")
    on_screen = receive(alice_line, "+12025550123", "Hi").conversation
    conversation_mark_read(user=alice, conversation=on_screen)  # opened, then the customer wrote
    receive(alice_line, "+12025550123", "Are you there?")
    not_mine = receive(bob_line, "+12025550155", "Hi Bob").conversation
    client.force_login(alice)

    page = client.get(reverse("inbox:nav"), {"open": on_screen.public_id})

    assert page.context["nav"].mine == 1
    assert on_screen.read_states.get(user=alice).last_read_at
    # A conversation the reader may not open is never marked read for them.
    client.get(reverse("inbox:nav"), {"open": not_mine.public_id})
    assert not not_mine.read_states.filter(user=alice).exists()


def test_a_refresh_asked_for_on_screen_leaves_a_conversation_marked_unread_meanwhile(
    client, alice, alice_line, settled
):
    conversation = receive(alice_line, "+12025550123", "Are you there?").conversation
    client.force_login(alice)
    conversation_mark_read(user=alice, conversation=conversation)
    read_state.conversations_mark_unread(user=alice, conversations=[conversation])

    page = client.get(reverse("inbox:nav"), {"open": conversation.public_id})

    assert page.context["nav"].mine == 1
    assert not conversation.read_states.filter(user=alice).exists()


def test_a_conversation_in_sight_every_way_at_once_is_counted_once(
    client, alice, bob, alice_line, support_team, settled
):
    """Mine, on my line, in my team's view: the count reads each way into sight apart and
    adds them up, and still counts it once, as mine and as one I sent in."""
    alice_line.team = support_team
    alice_line.save()
    c = receive(alice_line, "+12025550101", "Hello").conversation
    Conversation.objects.filter(pk=c.pk).update(owner=alice, team=support_team)
    message_send(conversation=c, author=alice, body="On it")
    receive(alice_line, "+12025550101", "Thanks")
    client.force_login(alice)
    counts = nav(client)
    assert (counts.mine, counts.sent) == (1, 1)
    assert {s.pk: s.unread for s in counts.senders}[alice_line.pk] == 1


def test_the_parts_of_sight_and_the_counts_agree_with_what_each_user_may_open(
    admin, alice, bob, carol, alice_line, bob_line, support_team
):
    """``visible_parts``, which the counts add up, hold what ``visible_conversations``
    holds, no conversation twice, for every owner (nobody included), line (mine, shared
    with me, a team's, someone else's) and team (collaboration, grab, not mine, none); and
    the navigation counts what a plain count over ``visible_conversations`` finds."""
    grab = Team.objects.create(name="Grab", mode=TeamMode.GRAB)
    grab.members.add(alice)
    others = Team.objects.create(name="Others", mode=TeamMode.COLLABORATION)
    bob_line.shared_with.add(alice)
    carol_line = SenderId.objects.create(
        address="+14155550160", channel=Channel.SMS, label="Carol's", owner=carol
    )
    team_line = SenderId.objects.create(
        address="+14155550161", channel=Channel.SMS, label="Grab line", team=grab
    )
    shapes = product(
        (None, alice, bob, carol),
        (alice_line, bob_line, carol_line, team_line),
        (None, support_team, grab, others),
    )
    for i, (owner, line, team) in enumerate(shapes):
        c = receive(line, f"+1202555{i:04d}", "Hello").conversation
        Conversation.objects.filter(pk=c.pk).update(owner=owner, team=team)
        if i % 3 == 0:
            conversation_mark_read(user=alice, conversation=c)
        if i % 4 == 0:
            Participation.objects.create(user=alice, conversation=c, last_sent_at=c.created_at)
    for user in (alice, bob, carol, admin):
        seen = set(visible_conversations(user).values_list("pk", flat=True))
        in_parts = [
            pk
            for part in visible_parts(user)
            for pk in Conversation.objects.filter(part).values_list("pk", flat=True)
        ]
        assert sorted(in_parts) == sorted(seen), user
    unread = with_unread(visible_conversations(alice), alice).filter(is_unread=True)
    counts = inbox_nav(user=alice)
    listed = {s.pk for s in counts.senders}  # lines she may use (not Carol's)
    assert {s.pk: s.unread for s in counts.senders} == dict(
        unread.filter(sender_id__in=listed)
        .order_by()
        .values_list("sender_id")
        .annotate(n=Count("pk"))
    )
    assert counts.mine == unread.filter(owner=alice).count() > 0
    assert counts.sent == unread.filter(participations__user=alice).count() > 0


def test_someone_with_no_line_and_no_team_counts_what_is_theirs(
    client, alice, carol, alice_line, settled
):
    """Their sight is what they own: the ways in that name no line or team add nothing."""
    c = receive(alice_line, "+12025550101", "Hello").conversation
    client.force_login(carol)
    assert nav(client).mine == 0
    Conversation.objects.filter(pk=c.pk).update(owner=carol, changed_at=timezone.now())
    counts = nav(client)
    assert counts.mine == 1 and counts.senders == []


def expected_counts(user):
    """What the navigation should show, counted plainly over ``visible_conversations`` (per
    line for the lines the user may use)."""
    unread = with_unread(visible_conversations(user), user).filter(is_unread=True)
    lines = usable_sender_ids(user).values("pk")
    return (
        unread.filter(owner=user).count(),
        unread.filter(participations__user=user, participations__last_sent_at__isnull=False)
        .distinct()
        .count(),
        mentioned_unseen(user).count(),
        dict(
            unread.filter(sender_id__in=lines)
            .order_by()
            .values_list("sender_id")
            .annotate(n=Count("pk"))
        ),
    )


def shown_counts(client, user):
    counts = nav(client)
    return (
        counts.mine,
        counts.sent,
        counts.mentions,
        {s.pk: s.unread for s in counts.senders if s.unread},
    )


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_kept_counts_follow_a_day_of_changes_as_counting_afresh_would(
    client, request, admin, alice, bob, alice_line, bob_line, shared_line, who
):
    """Each change below moves the counts kept since the first page without counting
    again, and they always equal a plain count."""
    user = request.getfixturevalue(who)
    client.force_login(user)
    first = receive(alice_line, "+12025550101", "Hello").conversation
    shared = receive(shared_line, "+12025550102", "Hello").conversation
    bobs = receive(bob_line, "+12025550103", "Hello").conversation
    assert shown_counts(client, user) == expected_counts(user)
    actions = [
        lambda: receive(alice_line, "+12025550104", "New customer"),
        lambda: client.get(reverse("inbox:conversation", args=[first.public_id])),
        lambda: receive(alice_line, "+12025550101", "Still there?"),
        lambda: message_send(conversation=first, author=user, body="Yes"),
        lambda: receive(alice_line, "+12025550101", "Thanks"),
        lambda: note_add(conversation=shared, author=bob, body=f"@{user.username} look"),
        lambda: conversations_assign(conversations=[first], assignee=bob, by=admin),
        lambda: conversations_assign(conversations=[bobs], assignee=user, by=admin),
        lambda: receive(bob_line, "+12025550103", "Anyone?"),
        lambda: client.get(reverse("inbox:conversation", args=[shared.public_id])),
        lambda: client.post(reverse("inbox:bulk"), {"ids": [shared.public_id], "action": "unread"}),
        lambda: client.post(
            reverse("inbox:bulk"), {"ids": [shared.public_id, bobs.public_id], "action": "read"}
        ),
        lambda: conversation_set_status(
            conversation=Conversation.objects.get(pk=bobs.pk), status="closed", by=admin
        ),
    ]
    for step, action in enumerate(actions):
        action()
        with CaptureQueriesContext(connection) as page:
            assert shown_counts(client, user) == expected_counts(user), step
        # Nothing is counted again, whatever changed (read marks included).
        assert not [q for q in page.captured_queries if "seen.c_id" in q["sql"]], step


def test_too_many_changes_or_unread_are_counted_again_and_still_right(
    client, alice, alice_line, monkeypatch
):
    from inbox.selectors import unread_tally

    client.force_login(alice)
    receive(alice_line, "+12025550100", "Hello")
    assert nav(client).mine == 1
    monkeypatch.setattr(unread_tally, "CHANGES_MAX", 2)
    for i in range(1, 4):
        receive(alice_line, f"+1202555010{i}", "Hello")
    with CaptureQueriesContext(connection) as page:
        assert nav(client).mine == 4
    assert [q for q in page.captured_queries if "seen.c_id" in q["sql"]]
    # Kept without the rows: right until the next change, then counted again.
    monkeypatch.setattr(unread_tally, "ROWS_MAX", 2)
    cache.clear()
    assert nav(client).mine == 4
    receive(alice_line, "+12025550109", "Hello")
    assert nav(client).mine == 5


def fresh(user):
    return User.objects.get(pk=user.pk)


def shown_to(user):
    counts = inbox_nav(user=fresh(user))
    return (
        counts.mine,
        counts.sent,
        counts.mentions,
        {s.pk: s.unread for s in counts.senders if s.unread},
    )


def test_an_admins_view_never_enters_the_counts_kept_for_them_as_a_standard_user(
    alice, bob, support_team, settled
):
    support_team.mode = TeamMode.GRAB
    support_team.save()
    team_line = SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team line", team=support_team
    )
    grabbed = receive(team_line, "+12025550101", "Hi").conversation
    Conversation.objects.filter(pk=grabbed.pk).update(owner=bob)  # bob grabbed it
    assert shown_to(alice) == expected_counts(alice)
    User.objects.filter(pk=alice.pk).update(role=Role.ADMIN)
    receive(team_line, "+12025550101", "Still there?")
    unread_count(user=fresh(alice))  # the live badge, while she is an admin
    User.objects.filter(pk=alice.pk).update(role=Role.STANDARD)
    assert shown_to(alice) == expected_counts(alice)


def test_a_read_noted_behind_a_newer_customer_message_leaves_it_unread(alice, alice_line, settled):
    c = receive(alice_line, "+12025550101", "Hi").conversation
    receive(alice_line, "+12025550102", "Hi")
    assert shown_to(alice) == expected_counts(alice)
    slow_page = fresh(alice)  # a request that began before the read
    conversation_mark_read(user=fresh(alice), conversation=c)  # another tab opens it
    receive(alice_line, "+12025550101", "One more thing")
    assert inbox_nav(user=slow_page).mine == 2
    assert shown_to(alice) == expected_counts(alice)
    assert unread_count(user=fresh(alice)) == 2


def test_an_auto_close_run_stamps_each_batch_as_it_writes_it(
    alice, alice_line, settled, monkeypatch
):
    """Closing takes a conversation from the bot, so it becomes unread; a later batch that
    carried the run's start as its stamp would be older than what a page applied since."""
    from inbox.services import conversation_status

    early = receive(alice_line, "+12025550101", "Hi").conversation
    bot = receive(alice_line, "+12025550102", "Hi").conversation
    past = timezone.now() - timedelta(days=1)
    Conversation.objects.filter(pk=early.pk).update(auto_close_at=past)
    Conversation.objects.filter(pk=bot.pk).update(auto_close_at=past, with_bot=True)
    conversation_mark_read(user=fresh(alice), conversation=early)
    monkeypatch.setattr(conversation_status, "AUTO_CLOSE_BATCH", 1)
    apply, between = conversation_status._apply, []

    def page_between_batches(**kwargs):
        done = apply(**kwargs)
        if not between:
            between.append(receive(alice_line, "+12025550103", "Hi"))
            shown_to(alice)
        return done

    monkeypatch.setattr(conversation_status, "_apply", page_between_batches)
    assert conversation_status.conversations_auto_close() == 2
    assert shown_to(alice) == expected_counts(alice)


def test_a_send_is_stamped_when_written_not_when_its_upload_began(
    alice, bob, shared_line, settled, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from inbox.services import sending

    c = receive(shared_line, "+12025550101", "Hi").conversation
    Conversation.objects.filter(pk=c.pk).update(with_bot=True)
    assert shown_to(bob) == expected_counts(bob)
    store = sending.attachment_store

    def page_during_upload(**kwargs):
        receive(shared_line, "+12025550109", "Hi")
        shown_to(bob)
        return store(**kwargs)

    monkeypatch.setattr(sending, "attachment_store", page_during_upload)
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    conversation = Conversation.objects.select_related("sender_id", "contact").get(pk=c.pk)
    message_send(conversation=conversation, author=alice, body="Hello", media=[png])
    assert shown_to(bob) == expected_counts(bob)


def test_a_change_made_without_a_stamp_shows_within_a_minute(
    alice, carol, alice_line, support_team, settled
):
    """Deleting a user in the Django admin hands their conversations back to the grab
    queue without stamping them: counted afresh once the kept counts are a minute old."""
    from inbox.selectors.unread_tally import RECOUNT_SECONDS

    support_team.mode = TeamMode.GRAB
    support_team.save()
    team_line = SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team line", team=support_team
    )
    grabbed = receive(team_line, "+12025550101", "Hi").conversation
    Conversation.objects.filter(pk=grabbed.pk).update(owner=carol)
    receive(alice_line, "+12025550102", "Hi")  # a later change: the newest the counts apply
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert shown_to(alice) == expected_counts(alice)
        carol.delete()
        assert shown_to(alice) != expected_counts(alice)  # not stamped: not seen yet
        clock.shift(timedelta(seconds=RECOUNT_SECONDS / 2))
        receive(alice_line, "+12025550103", "Hi")  # the day goes on: the counts follow it
        assert shown_to(alice) != expected_counts(alice)
        clock.shift(timedelta(seconds=RECOUNT_SECONDS / 2))
        assert shown_to(alice) == expected_counts(alice)


def counted_again(queries) -> list:
    return [q for q in queries if "seen.c_id" in q["sql"]]


def test_opening_an_unread_conversation_i_was_mentioned_in_follows_both_changes(
    client, alice, bob, alice_line, shared_line, settled
):
    """Opening it reads it and sees the mention: two changes to the read marks, both
    followed without counting again."""
    receive(alice_line, "+12025550101", "Hello")
    c = receive(shared_line, "+12025550102", "Hello").conversation
    note_add(conversation=c, author=bob, body="@alice look")
    client.force_login(alice)
    assert nav(client).mentions == 1
    with CaptureQueriesContext(connection) as window:
        client.get(reverse("inbox:conversation", args=[c.public_id]))
    assert shown_to(alice) == expected_counts(alice)
    assert not counted_again(window.captured_queries)


def test_two_changes_to_the_read_marks_between_pages_are_both_followed(
    client, alice, alice_line, settled
):
    from inbox.services.read_state import conversations_mark_read, conversations_mark_unread

    a = receive(alice_line, "+12025550101", "Hello").conversation
    b = receive(alice_line, "+12025550102", "Hello").conversation
    client.force_login(alice)
    assert nav(client).mine == 2
    conversations_mark_read(user=fresh(alice), conversations=[a, b])
    conversations_mark_unread(user=fresh(alice), conversations=[b])
    with CaptureQueriesContext(connection) as page:
        assert nav(client).mine == 1
    assert not counted_again(page.captured_queries)


def test_too_many_unread_to_keep_are_counted_in_the_database_straight_away(
    client, admin, alice_line, monkeypatch
):
    """In a busy organisation (the newest change under a second old on every page) counts
    without their rows cannot be used, but say that the rows are too many: no page fetches
    them again before counting in the database."""
    from inbox.selectors import unread_tally

    monkeypatch.setattr(unread_tally, "ROWS_MAX", 1)
    for i in range(3):
        receive(alice_line, f"+1202555010{i}", "Hello")
    client.force_login(admin)
    nav(client)
    for _ in range(2):
        receive(alice_line, "+12025550109", "Again")
        with CaptureQueriesContext(connection) as page:
            assert nav(client).mine == expected_counts(admin)[0]
        assert counted_again(page.captured_queries)
        assert not [q for q in page.captured_queries if "SELECT seen.c_id" in q["sql"]]


def test_an_assignment_is_stamped_once_its_locks_are_held(
    admin, alice, bob, alice_line, support_team, settled, monkeypatch
):
    """While it waits for the rows' locks, a page applies a newer change; the assignment's
    stamp is newer still, so the next page applies it (the conversation leaves the grab
    queue alice sees)."""
    from django.db import transaction

    from inbox.services import assignment

    support_team.mode = TeamMode.GRAB
    support_team.save()
    team_line = SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team line", team=support_team
    )
    c = receive(team_line, "+12025550101", "Hi").conversation
    assert shown_to(alice) == expected_counts(alice)
    atomic, waited = transaction.atomic, []

    class LocksHeldElsewhere:
        @staticmethod
        def atomic(*args, **kwargs):
            if not waited:
                waited.append(receive(alice_line, "+12025550102", "Hi"))
                shown_to(alice)
            return atomic(*args, **kwargs)

    monkeypatch.setattr(assignment, "transaction", LocksHeldElsewhere)
    conversations_assign(conversations=[c], assignee=bob, by=admin)
    assert shown_to(alice) == expected_counts(alice)


def test_a_send_is_stamped_after_what_it_may_wait_for(
    alice, bob, shared_line, settled, monkeypatch
):
    """Taking the conversation over (an update that may wait for a lock) comes before the
    send's stamp: a page drawn meanwhile does not hide the send from the next one."""
    from inbox.services import sending

    c = receive(shared_line, "+12025550101", "Hi").conversation
    Conversation.objects.filter(pk=c.pk).update(with_bot=True)
    assert shown_to(bob) == expected_counts(bob)
    take_over, waited = sending.conversation_reply_take_over, []

    def waits(**kwargs):
        if not waited:
            waited.append(receive(shared_line, "+12025550109", "Hi"))
            shown_to(bob)
        return take_over(**kwargs)

    monkeypatch.setattr(sending, "conversation_reply_take_over", waits)
    conversation = Conversation.objects.select_related("sender_id", "contact").get(pk=c.pk)
    message_send(conversation=conversation, author=alice, body="Hello")
    assert shown_to(bob) == expected_counts(bob)


@pytest.fixture
def shared_cache_on_files(settings, tmp_path):
    """The "shared" cache as ``make run`` keeps it: JSON files."""
    from converse.shared_cache import file_cache

    settings.CACHES = settings.CACHES | {"shared": file_cache(str(tmp_path))}


def test_read_mark_changes_are_followed_through_the_shared_caches_json(
    client, alice, alice_line, shared_cache_on_files, settled
):
    a = receive(alice_line, "+12025550101", "Hello").conversation
    b = receive(alice_line, "+12025550102", "Hello").conversation
    client.force_login(alice)
    assert nav(client).mine == 2
    client.get(reverse("inbox:conversation", args=[a.public_id]))
    read_state.conversations_mark_unread(user=fresh(alice), conversations=[a])
    read_state.conversations_mark_read(user=fresh(alice), conversations=[b])
    with CaptureQueriesContext(connection) as page:
        assert nav(client).mine == 1
    assert not counted_again(page.captured_queries)


def test_a_read_is_kept_when_the_shared_cache_cannot_be_written(
    client, alice, alice_line, unwritable_shared_cache
):
    c = receive(alice_line, "+12025550101", "Hello").conversation
    client.force_login(alice)
    assert nav(client).mine == 1
    assert client.get(reverse("inbox:conversation", args=[c.public_id])).status_code == 200
    assert c.read_states.filter(user=alice).exists()
    assert nav(client).mine == 0  # counted afresh


def test_kept_counts_are_stored_again_only_when_something_moved(
    client, alice, alice_line, monkeypatch
):
    """While the newest change is under a second old, each page reads it again; the counts
    are stored again when it moved them, not on every page."""
    from inbox.selectors import unread_tally

    monkeypatch.setattr(versions, "COMMIT_SLACK", timedelta(days=1))  # never settled
    stored = []
    keep = unread_tally._keep
    monkeypatch.setattr(unread_tally, "_keep", lambda user, kept: stored.append(keep(user, kept)))
    client.force_login(alice)
    nav(client)
    receive(alice_line, "+12025550101", "Hello")
    assert nav(client).mine == 1
    stored.clear()
    for _ in range(3):
        assert nav(client).mine == 1
    assert stored == []
    receive(alice_line, "+12025550102", "Hello")
    assert nav(client).mine == 2
    assert len(stored) == 1

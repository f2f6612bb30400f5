"""Team conversations (F-CV8): join and leave in collaboration mode, grab in grab mode."""

import pytest
from django.urls import reverse

from inbox.access import can_send_in, visible_conversations
from inbox.models import Channel, Conversation, ConversationEvent, SenderId, TeamMode
from inbox.services.teams import (
    TeamActionRefused,
    conversation_grab,
    conversation_join,
    conversation_leave,
)

from ..conftest import receive


@pytest.fixture
def team_line(support_team) -> SenderId:
    return SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Support team", team=support_team
    )


@pytest.fixture
def grab_team(support_team):
    support_team.mode = TeamMode.GRAB
    support_team.save()
    return support_team


@pytest.fixture
def conversation(admin, team_line) -> Conversation:
    return receive(team_line, "+12025550123", "Anyone there?").conversation


def test_inbound_on_a_team_line_belongs_to_the_team(conversation, support_team):
    assert conversation.team == support_team


def test_a_new_customer_on_a_collaboration_team_line_waits_in_the_teams_queue(
    client, conversation, alice, admin
):
    assert conversation.owner is None  # not an admin's
    assert conversation.status == Conversation.Status.OPEN
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    html = page.content.decode()
    assert "Rep needed" in html
    assert reverse("inbox:join", args=[conversation.public_id]) in html
    assert not Conversation.objects.filter(owner=admin).exists()


def test_a_known_customer_on_a_team_line_stays_in_the_teams_queue(
    admin, alice, alice_line, team_line
):
    from inbox.services.sending import message_send

    earlier = receive(alice_line, "+12025550123", "Hi").conversation
    message_send(conversation=earlier, author=alice, body="Hello")
    conversation = receive(team_line, "+12025550123", "Now writing to the team").conversation
    assert conversation.owner is None and conversation.team_id == team_line.team_id


def test_a_member_joins_and_leaves_a_collaboration_conversation(conversation, alice):
    conversation_join(conversation=conversation, user=alice)
    assert conversation.participations.get(user=alice).joined_at is not None
    with pytest.raises(TeamActionRefused):
        conversation_join(conversation=conversation, user=alice)

    conversation_leave(conversation=conversation, user=alice)
    assert conversation.participations.get(user=alice).joined_at is None
    kinds = list(conversation.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == [ConversationEvent.Kind.JOINED, ConversationEvent.Kind.LEFT]


def test_an_outsider_cannot_join(conversation, carol):
    with pytest.raises(TeamActionRefused):
        conversation_join(conversation=conversation, user=carol)


def test_grab_mode_conversations_wait_unowned_for_a_member(grab_team, team_line, admin):
    conversation = receive(team_line, "+12025550123").conversation
    assert conversation.owner is None
    assert conversation.status == Conversation.Status.OPEN


def test_first_grab_wins_and_the_others_stop_seeing_it(grab_team, team_line, alice, bob, admin):
    conversation = receive(team_line, "+12025550123").conversation
    assert visible_conversations(bob).filter(pk=conversation.pk).exists()
    assert not can_send_in(alice, conversation)

    conversation_grab(conversation=conversation, user=alice)
    assert conversation.owner == alice and conversation.status == Conversation.Status.ASSIGNED
    assert can_send_in(alice, conversation)
    assert not visible_conversations(bob).filter(pk=conversation.pk).exists()
    assert visible_conversations(admin).filter(pk=conversation.pk).exists()
    event = conversation.events.get(kind=ConversationEvent.Kind.ASSIGNED)
    assert event.actor == alice and event.data == {"to": alice.pk}


def test_a_grab_that_loses_the_race_is_refused(grab_team, team_line, alice, bob, admin):
    conversation = receive(team_line, "+12025550123").conversation
    stale_copy = Conversation.objects.select_related("team").get(pk=conversation.pk)
    conversation_grab(conversation=conversation, user=alice)
    # bob's request read the conversation before alice's grab committed.
    with pytest.raises(TeamActionRefused, match="Alice grabbed"):
        conversation_grab(conversation=stale_copy, user=bob)
    conversation.refresh_from_db()
    assert conversation.owner == alice
    assert conversation.events.filter(kind=ConversationEvent.Kind.ASSIGNED).count() == 1


def test_leaving_a_grabbed_conversation_hands_it_back_to_the_team(
    grab_team, team_line, alice, bob, admin
):
    conversation = receive(team_line, "+12025550123").conversation
    conversation_grab(conversation=conversation, user=alice)
    conversation_leave(conversation=conversation, user=alice)
    assert conversation.owner is None and conversation.status == Conversation.Status.OPEN
    assert visible_conversations(bob).filter(pk=conversation.pk).exists()
    conversation_grab(conversation=conversation, user=bob)
    assert conversation.owner == bob


def test_grab_through_the_window_shows_in_the_thread(client, grab_team, team_line, alice, admin):
    conversation = receive(team_line, "+12025550123").conversation
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert reverse("inbox:grab", args=[conversation.public_id]) in page.content.decode()
    assert "You can read this conversation but not reply" in page.content.decode()

    response = client.post(
        reverse("inbox:grab", args=[conversation.public_id]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="thread-header"' in html and 'hx-swap-oob="true"' in html
    assert "Grabbed" in html
    assert reverse("inbox:grab", args=[conversation.public_id]) not in html
    # The compose box comes too, unlocked: the grabber can reply at once.
    assert '<form id="compose"' in html and 'name="body" id="id_body"' in html
    assert "You can read this conversation but not reply" not in html


def test_the_live_refresh_redraws_the_compose_box_only_when_it_changed(
    client, grab_team, team_line, alice, bob, admin
):
    conversation = receive(team_line, "+12025550123").conversation
    client.force_login(bob)
    url = reverse("inbox:thread", args=[conversation.public_id])
    quiet = client.get(url, {"compose": "locked"}, headers={"HX-Request": "true"})
    assert '<form id="compose"' not in quiet.content.decode()

    Conversation.objects.filter(pk=conversation.pk).update(owner=bob)
    changed = client.get(url, {"compose": "locked"}, headers={"HX-Request": "true"})
    html = changed.content.decode()
    assert '<form id="compose"' in html and 'id="id_body"' in html
    assert "compose=send" in html  # the next refresh knows what the page shows


def test_a_refused_grab_explains_itself(client, grab_team, team_line, alice, bob, admin):
    conversation = receive(team_line, "+12025550123").conversation
    conversation_grab(conversation=conversation, user=alice)
    client.force_login(admin)
    response = client.post(
        reverse("inbox:grab", args=[conversation.public_id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "cannot be grabbed" in response.content.decode()


def test_a_member_cannot_bulk_close_a_grab_conversation_nobody_grabbed(
    client, grab_team, team_line, alice, admin
):
    conversation = receive(team_line, "+12025550123").conversation
    client.force_login(alice)
    response = client.post(
        reverse("inbox:bulk"), {"action": "close", "ids": [conversation.public_id]}
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert not conversation.events.filter(kind=ConversationEvent.Kind.STATUS).exists()

    conversation_grab(conversation=conversation, user=alice)
    client.post(reverse("inbox:bulk"), {"action": "close", "ids": [conversation.public_id]})
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED


def test_a_grab_team_member_starts_a_conversation_and_owns_it(
    client, grab_team, team_line, alice, django_capture_on_commit_callbacks, tasks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inbox:conversation_new"),
            {
                "sender": team_line.pk,
                "phone": "+12025550123",
                "body": "Hi",
                "idempotency_key": "g1",
            },
        )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.owner == alice and conversation.team == grab_team
    assert conversation.messages.filter(direction="out").count() == 1


def test_a_collaboration_member_replies_only_after_joining(conversation, alice):
    from inbox.services.sending import SendRefused, message_send

    assert not can_send_in(alice, conversation)
    with pytest.raises(SendRefused, match="join"):
        message_send(conversation=conversation, author=alice, body="Hi")

    conversation_join(conversation=conversation, user=alice)
    message_send(conversation=conversation, author=alice, body="Hi")
    assert conversation.messages.filter(direction="out").count() == 1


def test_the_send_view_refuses_a_member_who_has_not_joined(client, conversation, alice):
    client.force_login(alice)
    response = client.post(
        reverse("inbox:send", args=[conversation.public_id]),
        {"body": "Hi", "idempotency_key": "k1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "join it first" in response.content.decode()
    assert not conversation.messages.filter(direction="out").exists()


def test_leaving_a_conversation_you_own_gives_it_back_to_the_team(conversation, alice, bob):
    conversation_join(conversation=conversation, user=alice)
    Conversation.objects.filter(pk=conversation.pk).update(owner=alice)
    conversation.refresh_from_db()

    conversation_leave(conversation=conversation, user=alice)

    assert conversation.owner is None and conversation.status == Conversation.Status.OPEN
    assert not Conversation.objects.filter(owner=alice).exists()  # out of My Inbox
    assert visible_conversations(alice).filter(pk=conversation.pk).exists()  # still the team's
    left = conversation.events.get(kind=ConversationEvent.Kind.LEFT)
    assert left.actor == alice and "back to the team" in left.body


def test_a_teammates_reply_moves_ownership_and_tells_the_previous_owner(conversation, alice, bob):
    from inbox.models import Notification
    from inbox.services.sending import message_send

    Conversation.objects.filter(pk=conversation.pk).update(owner=alice)
    conversation.refresh_from_db()
    conversation_join(conversation=conversation, user=bob)

    message_send(conversation=conversation, author=bob, body="I'll take this one")

    conversation.refresh_from_db()
    assert conversation.owner == bob
    event = conversation.events.filter(kind=ConversationEvent.Kind.ASSIGNED).get()
    assert event.actor == bob and "was Alice" in event.body
    assert event.data == {"from": alice.pk, "to": bob.pk}
    note = Notification.objects.get(user=alice)
    assert note.kind == Notification.Kind.TAKEN_OVER and note.actor == bob


def test_the_previous_owner_hears_of_the_take_over_live(conversation, alice, bob):
    from django.utils import timezone

    from inbox.selectors.live import news_since
    from inbox.services.sending import message_send

    Conversation.objects.filter(pk=conversation.pk).update(owner=alice)
    conversation.refresh_from_db()
    conversation_join(conversation=conversation, user=bob)
    since = timezone.now()
    message_send(conversation=conversation, author=bob, body="Mine now")

    titles = [n.title for n in news_since(user=alice, since=since)]
    assert titles == ["Bob took over: +1 202-555-0123"]
    assert news_since(user=bob, since=since) == []


def grabbed_sentence(conversation, name: str) -> str:
    from django.utils import timezone

    event = conversation.events.get(kind=ConversationEvent.Kind.ASSIGNED)
    at = timezone.localtime(event.created_at)
    return f"{name} grabbed this conversation on {at.day} {at:%b %Y} at {at:%H:%M}."


@pytest.fixture
def grabbed_by_alice(grab_team, team_line, alice, bob, admin) -> Conversation:
    conversation = receive(team_line, "+12025550123", "Private order details").conversation
    conversation_grab(conversation=conversation, user=alice)
    return conversation


def test_a_late_grab_says_who_grabbed_it_and_when_inside_the_page(client, grabbed_by_alice, bob):
    client.force_login(bob)  # his tab was opened before Alice grabbed it
    grab = reverse("inbox:grab", args=[grabbed_by_alice.public_id])
    response = client.post(grab, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 422  # a refusal, swapped into the page
    assert response["HX-Retarget"] == "#window" and response["HX-Reswap"] == "outerHTML"
    assert '<div id="window"' in html
    assert grabbed_sentence(grabbed_by_alice, "Alice") in html
    assert grab not in html  # no Grab offered any more
    assert "Private order details" not in html  # nothing of the conversation itself
    grabbed_by_alice.refresh_from_db()
    assert grabbed_by_alice.owner.username == "alice"


def test_a_late_grab_without_javascript_lands_in_my_inbox_with_the_reason(
    client, grabbed_by_alice, bob
):
    client.force_login(bob)
    response = client.post(reverse("inbox:grab", args=[grabbed_by_alice.public_id]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("inbox:my_inbox")
    assert grabbed_sentence(grabbed_by_alice, "Alice") in response.content.decode()


def test_the_open_tabs_presence_and_live_refresh_notice_the_grab(client, grabbed_by_alice, bob):
    client.force_login(bob)
    beat = client.post(reverse("inbox:presence", args=[grabbed_by_alice.public_id]))
    assert beat.status_code == 200
    assert beat.json()["taken"] == grabbed_sentence(grabbed_by_alice, "Alice")

    refresh = client.get(
        reverse("inbox:thread", args=[grabbed_by_alice.public_id]),
        {"v": "1", "compose": "locked"},
        headers={"HX-Request": "true"},
    )
    assert refresh.status_code == 200 and refresh["HX-Retarget"] == "#window"
    html = refresh.content.decode()
    assert grabbed_sentence(grabbed_by_alice, "Alice") in html
    assert "Private order details" not in html

    closed = client.post(
        reverse("inbox:presence", args=[grabbed_by_alice.public_id]), {"left": "1"}
    )
    assert closed.status_code == 204


def test_opening_a_conversation_a_teammate_grabbed_says_so(client, grabbed_by_alice, bob):
    client.force_login(bob)
    url = reverse("inbox:conversation", args=[grabbed_by_alice.public_id])
    swapped = client.get(url, headers={"HX-Request": "true", "HX-Target": "window"})
    assert grabbed_sentence(grabbed_by_alice, "Alice") in swapped.content.decode()
    page = client.get(url, follow=True)
    assert page.redirect_chain[-1][0] == reverse("inbox:my_inbox")
    assert grabbed_sentence(grabbed_by_alice, "Alice") in page.content.decode()


def test_someone_outside_the_team_still_gets_a_plain_404(client, grabbed_by_alice, carol):
    client.force_login(carol)
    public_id = grabbed_by_alice.public_id
    htmx = {"HX-Request": "true"}
    assert client.post(reverse("inbox:grab", args=[public_id]), headers=htmx).status_code == 404
    assert client.post(reverse("inbox:presence", args=[public_id])).status_code == 404
    thread = client.get(reverse("inbox:thread", args=[public_id]), headers=htmx)
    assert thread.status_code == 404
    assert client.get(reverse("inbox:conversation", args=[public_id])).status_code == 404


def test_a_late_grab_by_a_member_who_still_sees_it_says_who_grabbed_it_and_when(
    client, grab_team, team_line, alice, bob, admin
):
    # The team's line is shared with bob too, so Alice's grab leaves it in his sight.
    team_line.shared_with.add(bob)
    conversation = receive(team_line, "+12025550123", "Anyone there?").conversation
    conversation_grab(conversation=conversation, user=alice)
    client.force_login(bob)
    response = client.post(
        reverse("inbox:grab", args=[conversation.public_id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert grabbed_sentence(conversation, "Alice") in html
    assert "cannot be grabbed" not in html


def test_a_grab_that_loses_the_race_names_the_winner(grab_team, team_line, alice, bob, admin):
    conversation = receive(team_line, "+12025550123").conversation
    stale_copy = Conversation.objects.select_related("team").get(pk=conversation.pk)
    conversation_grab(conversation=conversation, user=alice)
    with pytest.raises(TeamActionRefused) as refused:
        conversation_grab(conversation=stale_copy, user=bob)
    assert str(refused.value) == grabbed_sentence(conversation, "Alice")

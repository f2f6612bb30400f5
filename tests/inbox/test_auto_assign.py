"""Auto-assignment (F-AU1): round robin among a team's available members."""

import pytest

from inbox.models import Channel, ConversationEvent, Organisation, SenderId, User
from inbox.services.auto_assign import availability_set

from ..conftest import make_user, receive


@pytest.fixture
def team_line(support_team) -> SenderId:
    support_team.auto_assign = True
    support_team.save()
    return SenderId.objects.create(
        address="+14155550150", channel=Channel.SMS, label="Team", team=support_team
    )


def owners(team_line, *customers) -> list[User]:
    return [receive(team_line, c).conversation.owner for c in customers]


def test_new_conversations_go_round_robin(team_line, alice, bob, admin):
    assert owners(team_line, "+12025550001", "+12025550002", "+12025550003") == [
        alice,
        bob,
        alice,
    ]
    event = alice.owned_conversations.first().events.get()
    assert event.kind == ConversationEvent.Kind.ASSIGNED and event.data["auto"] is True
    assert event.actor is None


def test_only_the_first_message_of_a_conversation_is_assigned(team_line, alice, bob, admin):
    first = receive(team_line, "+12025550001").conversation
    again = receive(team_line, "+12025550001", "Still there?").conversation
    assert again.pk == first.pk and again.owner == alice
    assert owners(team_line, "+12025550002") == [bob]


def test_unavailable_members_are_skipped(team_line, alice, bob, admin):
    availability_set(user=alice, is_available=False)
    assert owners(team_line, "+12025550001", "+12025550002") == [bob, bob]


def test_inactive_members_are_skipped(team_line, support_team, alice, bob, admin):
    dave = make_user("dave")
    dave.is_active = False
    dave.save()
    support_team.members.add(dave)
    assert owners(team_line, "+12025550001", "+12025550002", "+12025550003") == [
        alice,
        bob,
        alice,
    ]


def test_nobody_available_leaves_it_waiting_in_the_team(team_line, alice, bob, admin):
    for user in (alice, bob):
        availability_set(user=user, is_available=False)
    assert owners(team_line, "+12025550001") == [None]


def test_the_organisation_switch_turns_it_off(team_line, alice, bob, admin):
    org = Organisation.load()
    org.auto_assign_enabled = False
    org.save()
    assert owners(team_line, "+12025550001") == [None]
    assert not ConversationEvent.objects.exists()


def test_a_team_without_auto_assign_is_left_alone(team_line, support_team, admin):
    support_team.auto_assign = False
    support_team.save()
    assert owners(team_line, "+12025550001") == [None]


def test_an_owned_sender_id_still_goes_to_its_owner(alice_line, support_team, bob, alice):
    alice_line.team = support_team
    alice_line.save()
    support_team.auto_assign = True
    support_team.save()
    assert owners(alice_line, "+12025550001", "+12025550002") == [alice, alice]

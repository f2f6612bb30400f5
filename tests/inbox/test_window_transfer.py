"""Assign and transfer from the conversation header (F-CV7)."""

import re

from django.urls import reverse

from inbox.models import Conversation, ConversationEvent, Notification

from ..conftest import receive


def transfer(client, conversation, to: str, **headers):
    url = reverse("inbox:transfer", args=[conversation.public_id])
    return client.post(url, {"to": to}, headers=headers)


def test_the_owner_transfers_to_a_teammate_who_is_told(
    client, alice, bob, support_team, conversation
):
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert f'<option value="u:{bob.pk}">Bob</option>' in page.content.decode()

    response = transfer(client, conversation, f"u:{bob.pk}", HX_Request="true")

    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.owner == bob and conversation.status == Conversation.Status.ASSIGNED
    assert Notification.objects.filter(user=bob, conversation=conversation).exists()
    event = conversation.events.get(kind=ConversationEvent.Kind.ASSIGNED)
    assert event.actor == alice and event.body == "to Bob (was Alice)"
    # Still on Alice's own line, so she still sees it: the header shows the new owner.
    assert "Owner: Bob" in response.content.decode()


def test_the_menu_offers_each_teammate_once_and_the_teams_by_name(
    client, alice, bob, carol, support_team, conversation
):
    from inbox.models import Team

    billing = Team.objects.create(name="Billing")
    billing.members.add(alice, bob, carol)
    Team.objects.create(name="Archive").members.add(carol)  # not one of Alice's
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    menu = page.content.decode().split('id="transfer-to"')[1].split("</select>")[0]
    options = re.findall(r'<option value="([ut]:\d+)">([^<]+)</option>', menu)
    assert options == [
        (f"u:{bob.pk}", "Bob"),
        (f"u:{carol.pk}", "Carol"),
        (f"t:{billing.pk}", "Billing"),
        (f"t:{support_team.pk}", "Support"),
    ]


def test_transfer_to_a_team_leaves_it_unowned_there(client, alice, conversation, support_team):
    client.force_login(alice)
    transfer(client, conversation, f"t:{support_team.pk}")
    conversation.refresh_from_db()
    assert conversation.team == support_team and conversation.owner is None
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.events.get().body == "to the team Support (was Alice)"


def test_an_agent_cannot_transfer_to_someone_outside_their_teams(
    client, alice, carol, conversation
):
    client.force_login(alice)
    response = transfer(client, conversation, f"u:{carol.pk}", HX_Request="true")
    assert response.status_code == 422
    assert "You cannot hand this conversation to Carol" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.owner == alice


def test_an_admin_assigns_to_anyone_from_the_header(client, admin, carol, conversation):
    client.force_login(admin)
    transfer(client, conversation, f"u:{carol.pk}")
    conversation.refresh_from_db()
    assert conversation.owner == carol


def test_handing_away_a_conversation_you_no_longer_see_goes_back_to_my_inbox(
    client, alice, bob, bob_line, support_team
):
    # An admin gave Alice a conversation on Bob's line; she hands it to Bob.
    c = receive(bob_line, "+12025550123").conversation
    Conversation.objects.filter(pk=c.pk).update(owner=alice)
    client.force_login(alice)

    response = transfer(client, c, f"u:{bob.pk}", HX_Request="true")

    assert response.headers["HX-Redirect"] == reverse("inbox:my_inbox")
    page = client.get(reverse("inbox:my_inbox")).content.decode()
    assert "Handed +1 202-555-0123 to Bob." in page


def test_someone_who_cannot_see_it_gets_a_404(client, bob, conversation):
    client.force_login(bob)
    assert transfer(client, conversation, "u:1").status_code == 404


def test_an_anonymous_user_is_sent_to_sign_in(client, conversation):
    response = transfer(client, conversation, "u:1")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_bad_choice_gets_a_clear_error(client, alice, conversation):
    client.force_login(alice)
    for bad in ("", "u:abc", "x:1", "t:999"):
        response = transfer(client, conversation, bad, HX_Request="true")
        assert response.status_code == 422
        assert "Choose a teammate or a team." in response.content.decode()

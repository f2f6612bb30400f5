"""Assigning conversations (F-CV7)."""

import pytest

from inbox.models import Conversation, ConversationEvent, Notification, ReadState
from inbox.selectors.lists import with_unread
from inbox.services.assignment import AssignRefused, conversation_assign, conversations_assign
from inbox.services.read_state import conversation_mark_read

from ..conftest import receive


def test_assigning_moves_ownership_and_tells_the_new_owner(admin, alice, bob, alice_line):
    c = receive(alice_line, "+12025550101").conversation
    conversation_mark_read(user=bob, conversation=c)

    assert conversation_assign(conversation=c, assignee=bob, by=admin)

    c.refresh_from_db()
    assert c.owner == bob and c.status == Conversation.Status.ASSIGNED
    assert not ReadState.objects.filter(user=bob, conversation=c).exists()
    assert with_unread(Conversation.objects.filter(pk=c.pk), bob).get().is_unread
    event = ConversationEvent.objects.get(conversation=c, kind=ConversationEvent.Kind.ASSIGNED)
    assert event.actor == admin and event.data == {"from": alice.pk, "to": bob.pk}
    note = Notification.objects.get(user=bob)
    assert note.conversation == c and note.kind == "assigned" and note.read_at is None


def test_assigning_many_happens_in_one_go_and_skips_those_already_owned(
    admin, alice, bob, alice_line, bob_line
):
    mine = receive(alice_line, "+12025550101").conversation
    theirs = receive(bob_line, "+12025550102").conversation
    changed = conversations_assign(conversations=[mine, theirs], assignee=bob, by=admin)
    assert [c.pk for c in changed] == [mine.pk]
    assert set(Conversation.objects.values_list("owner", flat=True)) == {bob.pk}
    assert ConversationEvent.objects.filter(kind="assigned").count() == 1


def test_only_admins_assign(alice, bob, alice_line):
    c = receive(alice_line, "+12025550101").conversation
    with pytest.raises(AssignRefused):
        conversation_assign(conversation=c, assignee=bob, by=alice)
    c.refresh_from_db()
    assert c.owner == alice


def test_an_admin_assigning_to_themselves_gets_no_notification(admin, alice_line):
    c = receive(alice_line, "+12025550101").conversation
    conversation_assign(conversation=c, assignee=admin, by=admin)
    assert not Notification.objects.exists()

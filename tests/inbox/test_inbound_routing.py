"""Inbound routing (F-CV3) and idempotent storage of customer messages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.access import visible_conversations
from inbox.models import Contact, Conversation, Message
from inbox.services.inbound import UnknownSender
from inbox.services.sending import message_send
from inbox.waiting import WaitingState, waiting_q

from ..conftest import receive


def rep_needed(conversation: Conversation) -> bool:
    return Conversation.objects.filter(
        waiting_q(WaitingState.REP_NEEDED, now=timezone.now()), pk=conversation.pk
    ).exists()


def test_a_message_to_an_owned_sender_id_lands_in_the_owners_inbox(alice, alice_line, admin):
    message = receive(alice_line, "+12025550123", "Hi")
    assert message.conversation.owner == alice
    assert message.conversation.status == Conversation.Status.ASSIGNED


def test_an_unknown_customer_on_a_line_of_nobodys_lands_with_an_admin(admin):
    from inbox.models import SenderId

    nobodys = SenderId.objects.create(address="+14155550190", channel="sms", label="Main")
    message = receive(nobodys, "+12025550123", "Hi")
    assert message.conversation.owner == admin
    assert Contact.objects.get(phone_e164="+12025550123")


def test_an_unknown_customer_on_a_shared_sender_id_waits_for_the_users_it_is_shared_with(
    admin, alice, shared_line
):
    conversation = receive(shared_line, "+12025550123", "Hi").conversation
    assert conversation.owner is None
    assert conversation.status == Conversation.Status.OPEN
    assert visible_conversations(alice).filter(pk=conversation.pk).exists()
    assert rep_needed(conversation)


def test_a_shared_sender_id_routes_to_whoever_sent_the_last_outgoing_message(
    admin, alice, bob, shared_line
):
    first = receive(shared_line, "+12025550123", "Hi")
    conversation = first.conversation
    message_send(conversation=conversation, author=bob, body="Bob here")
    reply = receive(shared_line, "+12025550123", "Thanks Bob")
    assert reply.conversation.owner == bob


def test_a_known_customer_writing_to_a_new_shared_line_goes_to_the_last_agent_who_wrote(
    admin, alice, alice_line, shared_line
):
    conversation = receive(alice_line, "+12025550123", "Hi").conversation
    message_send(conversation=conversation, author=alice, body="Hello")
    other = receive(shared_line, "+12025550123", "Also writing here")
    assert other.conversation != conversation
    assert other.conversation.owner == alice


def test_a_customer_message_updates_the_conversation_summary(alice, alice_line):
    message = receive(alice_line, "+12025550123", "  Where is\nmy order?  ")
    conversation = message.conversation
    assert conversation.last_message_preview == "Where is my order?"
    assert conversation.last_inbound_at == conversation.last_activity_at
    assert conversation.waiting_since is not None


def test_a_closed_conversation_reopens_on_a_customer_message(alice, alice_line):
    conversation = receive(alice_line, "+12025550123").conversation
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.CLOSED)
    conversation = receive(alice_line, "+12025550123").conversation
    assert conversation.status == Conversation.Status.ASSIGNED


def test_a_redelivered_message_is_stored_once(alice, alice_line):
    receive(alice_line, "+12025550123", "Hi", sid="SM" + "1" * 32)
    receive(alice_line, "+12025550123", "Hi", sid="SM" + "1" * 32)
    assert Message.objects.count() == 1


def test_one_conversation_per_customer_per_sender_id(alice, alice_line):
    receive(alice_line, "+1 202 555 0123")
    receive(alice_line, "+12025550123")
    assert Conversation.objects.count() == 1


def test_a_message_to_a_number_that_is_not_ours_is_refused(db):
    from inbox.models import SenderId

    with pytest.raises(UnknownSender):
        receive(SenderId(address="+19999999999", channel="sms"), "+12025550123")
    assert not Message.objects.exists()


def test_an_assignment_on_a_shared_line_survives_the_customers_next_message(
    admin, alice, bob, shared_line
):
    from inbox.services.assignment import conversation_assign

    conversation = receive(shared_line, "+12025550123", "Hi").conversation
    message_send(conversation=conversation, author=alice, body="Alice here")
    conversation_assign(conversation=conversation, assignee=bob, by=admin)
    reply = receive(shared_line, "+12025550123", "Thanks")
    assert reply.conversation.owner == bob

    message_send(conversation=reply.conversation, author=alice, body="Alice again")
    assert receive(shared_line, "+12025550123", "Ok").conversation.owner == alice


def test_a_deactivated_agent_no_longer_receives_customer_messages(admin, alice, shared_line):
    conversation = receive(shared_line, "+12025550123", "Hi").conversation
    message_send(conversation=conversation, author=alice, body="Alice here")
    alice.is_active = False
    alice.save()
    # Back to the line's other users, unowned: nobody's inbox is the inactive agent's.
    assert receive(shared_line, "+12025550123", "Hello?").conversation.owner is None


def test_messages_stored_out_of_order_read_in_the_order_the_customer_wrote_them(alice, alice_line):
    """Two workers routing one customer's messages: the later one was stored first."""
    written = timezone.now() - timedelta(seconds=2)
    receive(alice_line, "+12025550123", "Second", received_at=written + timedelta(seconds=1))
    receive(alice_line, "+12025550123", "First", received_at=written)

    conversation = Conversation.objects.get()
    thread = list(conversation.messages.order_by("created_at", "id"))
    assert [m.body for m in thread] == ["First", "Second"]
    assert thread[0].created_at == written
    assert conversation.last_message_preview == "Second"
    assert conversation.waiting_since == written
    assert conversation.last_inbound_at > written + timedelta(seconds=1)  # unread from now


def test_a_late_message_written_before_our_reply_does_not_make_the_customer_wait(alice, alice_line):
    conversation = receive(alice_line, "+12025550123", "Hi").conversation
    written = timezone.now()
    message_send(conversation=conversation, author=alice, body="Hello, how can I help?")

    receive(alice_line, "+12025550123", "Are you there?", received_at=written)

    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.last_message_preview == "Hello, how can I help?"


def test_a_late_stop_does_not_undo_a_start_written_after_it(alice_line):
    written = timezone.now() - timedelta(seconds=2)
    receive(alice_line, "+12025550123", "START", received_at=written + timedelta(seconds=1))
    receive(alice_line, "+12025550123", "STOP", received_at=written)

    assert Contact.objects.get().sms_opted_out_at is None
    assert Message.objects.count() == 2


def test_a_late_stop_still_opts_out_when_nothing_later_said_otherwise(alice_line):
    written = timezone.now() - timedelta(seconds=2)
    receive(alice_line, "+12025550123", "Thanks", received_at=written + timedelta(seconds=1))
    receive(alice_line, "+12025550123", "STOP", received_at=written)

    assert Contact.objects.get().sms_opted_out_at is not None

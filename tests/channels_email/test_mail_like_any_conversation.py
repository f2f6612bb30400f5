"""A mailbox's conversations are worked as any other's (issue: routing, assignment, teams,
notes, labels, snooze, search, transcripts, reports and push), with mail read from a real
dovecot: nothing in the inbox is told apart by channel but what e-mail adds."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import (
    Channel,
    Conversation,
    ConversationEvent,
    LiveEvent,
    MessageTally,
    Participation,
)
from inbox.selectors.search import message_search
from inbox.services.assignment import conversation_assign
from inbox.services.labels import conversations_label
from inbox.services.notes import note_add
from inbox.services.snooze import conversation_snooze, snoozes_wake
from inbox.services.teams import conversation_join
from inbox.services.transcripts import transcript_txt
from tests.channels_email.conftest import customer_mail, read

pytestmark = pytest.mark.django_db(transaction=True)


def mail_in(world, mailbox, customer, **fields) -> None:
    mail = customer_mail(frm=customer, to=mailbox.sender.address, **fields)
    world.customer_sends(mail.as_bytes(), to=mailbox.sender.address)
    read(mailbox)


def test_a_mailbox_owned_by_an_agent_routes_its_mail_to_their_inbox(
    world, mailbox, customer, alice, bob, client
):
    mailbox.sender.owner = alice
    mailbox.sender.save()
    mailbox.sender.shared_with.clear()
    mail_in(world, mailbox, customer)
    conversation = Conversation.objects.get()
    assert conversation.owner == alice
    client.force_login(alice)
    assert "my order 1234" in client.get(reverse("inbox:my_inbox")).content.decode()
    client.force_login(bob)  # not his mailbox: he cannot open it
    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    assert page.status_code == 404


def test_a_team_mailbox_is_joined_assigned_noted_labelled_snoozed_searched_and_reported(
    world, mailbox, customer, admin, alice, bob, support_team
):
    mailbox.sender.team = support_team
    mailbox.sender.save()
    mail_in(world, mailbox, customer)
    conversation = Conversation.objects.get()
    assert conversation.sender_id.channel == Channel.EMAIL

    conversation_join(conversation=conversation, user=alice)
    assert Participation.objects.filter(conversation=conversation, user=alice).exists()
    conversation_assign(conversation=conversation, assignee=bob, by=admin)
    note_add(conversation=conversation, author=alice, body="@bob the parcel is at the depot")
    conversations_label(conversations=[conversation], by=alice, add="Delivery")
    conversation.refresh_from_db()
    assert conversation.owner == bob
    assert list(conversation.labels.values_list("name", flat=True)) == ["Delivery"]
    assert conversation.events.filter(kind=ConversationEvent.Kind.NOTE).exists()

    # Snoozed until the customer writes: an out-of-office does not wake it, their mail does.
    conversation_snooze(conversation=conversation, by=bob, until=None)
    mail_in(
        world,
        mailbox,
        customer,
        text="I am away until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    conversation.refresh_from_db()
    assert conversation.snoozed_by == bob
    mail_in(world, mailbox, customer, subject="Re: Where is my order?", text="Any news?")
    conversation.refresh_from_db()
    assert conversation.snoozed_by is None
    # Snoozed until a time: beat wakes it as any other.
    conversation_snooze(conversation=conversation, by=bob, until=timezone.now() + timedelta(1))
    assert snoozes_wake(now=timezone.now() + timedelta(days=2)) == 1

    hits = message_search(user=bob, text="order 1234")
    assert [hit.conversation.pk for hit in hits] == [conversation.pk]
    transcript = transcript_txt(conversation=conversation, by=bob)
    assert "Hello, my order 1234 has not arrived." in transcript and "Any news?" in transcript
    # The reports count the mails received on the e-mail channel (the out-of-office too: a
    # message received, as on any channel); the live stream announced each.
    counted = sum(
        MessageTally.objects.filter(
            channel=Channel.EMAIL, kind=MessageTally.Kind.CUSTOMER
        ).values_list("messages", flat=True)
    )
    assert counted == 3
    assert LiveEvent.objects.filter(conversation_id=conversation.pk, kind="message_in").count() == 3


def test_a_mail_out_of_hours_is_answered_with_when_the_mailbox_opens(world, mailbox, customer):
    """Business hours and their automatic reply, as on a phone line: a mail, marked as
    automatic so the customer's own auto-responder leaves it be."""
    import email
    import email.policy
    from datetime import datetime

    from inbox.models import AutoKind, MessageStatus
    from inbox.services.sending import message_dispatch
    from tests.inbox.hours_support import LONDON, set_office_hours

    # Open one day a week only, never today: the mail comes while closed.
    day = (datetime.now(LONDON).weekday() + 3) % 7
    set_office_hours(
        week={str(day): [["09:00", "17:00"]]}, out_of_hours_reply="Closed; back {{opens_at}}."
    )
    mail_in(world, mailbox, customer)
    conversation = Conversation.objects.get()
    reply = conversation.messages.get(auto_kind=AutoKind.OUT_OF_HOURS)
    assert reply.body.startswith("Closed; back ") and reply.body.endswith(" 09:00.")
    message_dispatch(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT
    received = email.message_from_bytes(
        world.dovecot.mails(customer)[-1], policy=email.policy.default
    )
    assert received.get_body(("plain",)).get_content().strip() == reply.body
    assert received["Auto-Submitted"] == "auto-replied"

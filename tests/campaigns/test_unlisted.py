"""A campaign message opens no conversation in anyone's inbox; a recipient's reply does.

The thread a campaign starts is in no list (My Inbox, a sender ID's, Sent, All, the
navigation's counts) until the customer answers or an agent writes in it.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Recipient
from campaigns.release import campaigns_release_due
from campaigns.services import campaign_launch
from inbox.models import Contact, Conversation
from inbox.selectors.counts import inbox_nav
from inbox.selectors.lists import InboxFilters, InboxView, inbox_conversations
from inbox.services.sending import message_send

from ..conftest import receive
from .conftest import MIDDAY, customer, sms_campaign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_sms(sms_sender, alice):
    sms_sender.shared_with.add(alice)
    return sms_sender


def sent_campaign(admin, sender, vip, tasks, *numbers):
    contacts = [customer(n, f"C{i}", label=vip) for i, n in enumerate(numbers)]
    return send_to(admin, sender, vip, tasks, contacts)


def send_to(admin, sender, vip, tasks, contacts):
    campaign = sms_campaign(admin, sender, vip)
    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        campaigns_release_due()
        tasks.run_all()
    threads = [
        Recipient.objects.get(campaign=campaign, contact=c).conversation_id for c in contacts
    ]
    assert all(threads)
    return threads


def listed(user, kind: str, sender=None) -> list[int]:
    rows, _ = inbox_conversations(
        user=user, view=InboxView(kind, sender=sender), filters=InboxFilters()
    )
    return [row.pk for row in rows]


def every_list(user, sender) -> dict[str, list[int]]:
    return {
        "mine": listed(user, "mine"),
        "sender": listed(user, "sender", sender),
        "sent": listed(user, "sent"),
        "all": listed(user, "all"),
    }


NOWHERE = {"mine": [], "sender": [], "sent": [], "all": []}


def test_a_campaigns_threads_are_in_no_list_before_a_reply(admin, alice, shared_sms, vip, tasks):
    sent_campaign(admin, shared_sms, vip, tasks, "+12025550101", "+12025550102")
    assert Conversation.objects.count() == 2
    assert every_list(admin, shared_sms) == NOWHERE  # the campaign's owner, an admin
    assert every_list(alice, shared_sms) == NOWHERE  # who shares the sender ID
    for user in (admin, alice):
        nav = inbox_nav(user=user)
        assert (nav.mine, nav.sent, [s.unread for s in nav.senders]) == (0, 0, [0])


def test_the_pages_show_none_of_them_either(client, admin, alice, shared_sms, vip, tasks):
    sent_campaign(admin, shared_sms, vip, tasks, "+12025550101")
    client.force_login(alice)
    for url in (reverse("inbox:sender_inbox", args=[shared_sms.public_id]), reverse("inbox:sent")):
        assert "Hi C0" not in client.get(url).content.decode()
    client.force_login(admin)
    assert "Hi C0" not in client.get(reverse("inbox:all_conversations")).content.decode()


def test_a_reply_opens_the_thread_in_the_lists(admin, alice, shared_sms, vip, tasks):
    answered, quiet = sent_campaign(admin, shared_sms, vip, tasks, "+12025550101", "+12025550102")
    with time_machine.travel(MIDDAY + timedelta(minutes=5), tick=False):
        receive(shared_sms, "+12025550101", "Tell me more")
    assert every_list(admin, shared_sms) == {
        "mine": [answered],  # the campaign's owner
        "sender": [answered],
        "sent": [],
        "all": [answered],
    }
    assert listed(alice, "sender", shared_sms) == [answered]
    assert Conversation.objects.get(pk=quiet).listed is False


def test_an_agent_writing_in_an_unanswered_thread_lists_it(admin, alice, shared_sms, vip, tasks):
    (thread,) = sent_campaign(admin, shared_sms, vip, tasks, "+12025550101")
    message_send(conversation=Conversation.objects.get(pk=thread), author=alice, body="And more")
    assert listed(alice, "sender", shared_sms) == [thread]
    assert listed(alice, "sent") == [thread]


def test_a_thread_already_going_stays_listed(admin, alice, shared_sms, vip, tasks):
    going = receive(shared_sms, "+12025550101", "Earlier question").conversation
    Contact.objects.filter(pk=going.contact_id).update(display_name="Ann")
    going.contact.labels.add(vip)
    send_to(admin, shared_sms, vip, tasks, [going.contact])
    assert Conversation.objects.get(pk=going.pk).listed is True
    assert listed(alice, "sender", shared_sms) == [going.pk]

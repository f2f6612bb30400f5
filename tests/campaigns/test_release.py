"""Releasing planned sends: the send checks again, quiet hours, exactly once, replies."""

from datetime import timedelta

import pytest
import time_machine

import campaigns.release as release
from campaigns.models import Campaign, Recipient
from campaigns.planning import campaign_plan
from campaigns.release import campaign_start, campaigns_release_due
from campaigns.selectors import figures_counted
from campaigns.services import campaign_cancel, campaign_launch, campaign_pause
from inbox.models import Conversation, Message, MessageStatus, SenderId
from inbox.selectors.lists import InboxFilters, InboxView, inbox_conversations
from inbox.tasks import recover_stuck_messages

from ..conftest import receive
from .conftest import MIDDAY, customer, launch_and_release, sms_campaign, whatsapp_campaign

pytestmark = pytest.mark.django_db(transaction=True)


def recipient(campaign, contact) -> Recipient:
    return Recipient.objects.select_related("message").get(campaign=campaign, contact=contact)


def test_planned_sends_reach_the_simulator_and_finish_the_campaign(
    admin, wa_sender, templates, vip, tasks
):
    ann = customer("+12025550101", "Ann", label=vip)
    campaign = whatsapp_campaign(admin, wa_sender, templates["order_update"], vip)
    launch_and_release(campaign, admin, tasks)

    sent = recipient(campaign, ann).message
    assert sent.body == "Hi Ann, your order D-1 is on its way. Reply here with any question."
    assert sent.content_variables == {"1": "Ann", "2": "D-1"}
    assert sent.status in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FINISHED


def test_the_send_checks_run_again_at_release(admin, wa_sender, templates, vip, tasks):
    """Consent withdrawn after planning: the release refuses it with the rule's words."""
    ann = customer("+12025550101", "Ann", label=vip)
    campaign = whatsapp_campaign(admin, wa_sender, templates["order_update"], vip)
    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        campaign_plan(campaign=campaign)
        ann.whatsapp_consent_at = None
        ann.save()
        campaigns_release_due()
    row = recipient(campaign, ann)
    assert row.state == Recipient.State.FAILED
    assert "opt-in is not recorded" in row.failure
    assert not Message.objects.exists()


def test_a_recipient_outside_their_quiet_hours_is_held_until_they_open(
    admin, sms_sender, vip, tasks
):
    """At 17:00 UTC it is 09:00 in San Francisco but 03:00 the next day in Sydney."""
    here = customer("+14155550123", "Sam", label=vip)
    sydney = customer("+61291234567", "Syd", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    launch_and_release(campaign, admin, tasks)

    held = recipient(campaign, sydney)
    assert held.state == Recipient.State.PLANNED and held.message is None
    assert held.held_reason == "Quiet hours (08:00–21:00 Australia/Sydney)"
    # 08:00 in Sydney (UTC+11 in December) is 21:00 UTC.
    assert held.held_until == MIDDAY.replace(hour=21)
    assert recipient(campaign, here).state == Recipient.State.SENT

    with time_machine.travel(MIDDAY.replace(hour=20, minute=59, second=59), tick=False):
        campaigns_release_due()
    assert recipient(campaign, sydney).message is None
    with time_machine.travel(MIDDAY.replace(hour=21), tick=False):
        campaigns_release_due()
        tasks.run_all()
    assert recipient(campaign, sydney).message.status != MessageStatus.QUEUED


def test_a_paused_campaign_sends_nothing_more_and_cancel_drops_the_rest(
    admin, sms_sender, vip, tasks
):
    ann = customer("+12025550101", "Ann", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        campaign_start(campaign=campaign, now=MIDDAY)  # planned, nothing released yet
        campaign_pause(campaign=campaign, by=admin)
        campaigns_release_due()
    assert not Message.objects.exists()
    campaign_cancel(campaign=campaign, by=admin)
    with time_machine.travel(MIDDAY, tick=False):
        campaigns_release_due()
    assert not Message.objects.exists()
    assert recipient(campaign, ann).state == Recipient.State.CANCELLED


def test_a_worker_dying_mid_release_leaves_the_recipient_to_send_once(
    admin, sms_sender, vip, tasks, monkeypatch
):
    """The claim and the message commit together: a crash before the commit keeps neither,
    and the next sweep sends it; a sweep after the commit finds nothing to send."""
    ann = customer("+12025550101", "Ann", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    real = release.Recipient.save

    def die(self, *args, **kwargs):
        raise SystemExit("worker killed")

    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        monkeypatch.setattr(release.Recipient, "save", die)
        with pytest.raises(SystemExit):
            campaigns_release_due()
        monkeypatch.setattr(release.Recipient, "save", real)
        assert not Message.objects.exists()
        assert recipient(campaign, ann).state == Recipient.State.PLANNED

        campaigns_release_due()
        campaigns_release_due()
        tasks.run_all()
    assert Message.objects.filter(direction="out").count() == 1
    assert tasks.queued == []


def test_a_release_whose_queueing_was_lost_is_sent_once_by_recovery(admin, sms_sender, vip, tasks):
    ann = customer("+12025550101", "Ann", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        campaigns_release_due()
    tasks.queued.clear()  # the broker lost the delivery
    with time_machine.travel(MIDDAY + timedelta(minutes=10), tick=False):
        recover_stuck_messages()
        campaigns_release_due()
        tasks.run_all()
    assert Message.objects.filter(direction="out").count() == 1
    assert recipient(campaign, ann).message.provider_sid


def test_the_campaign_message_opens_no_inbox_until_the_reply(admin, alice, sms_sender, vip, tasks):
    ann = customer("+12025550101", "Ann", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    launch_and_release(campaign, admin, tasks)
    conversation = recipient(campaign, ann).conversation
    mine = InboxView(kind="mine")
    assert inbox_conversations(user=admin, view=mine, filters=InboxFilters())[0] == []

    with time_machine.travel(MIDDAY + timedelta(minutes=5), tick=False):
        receive(sms_sender, ann.phone_e164, "Sounds good!")
    rows, _ = inbox_conversations(user=admin, view=mine, filters=InboxFilters())
    assert [r.pk for r in rows] == [conversation.pk]
    thread = list(Message.objects.filter(conversation=conversation).order_by("created_at"))
    assert [m.direction for m in thread] == ["out", "in"]
    assert Conversation.objects.get(pk=conversation.pk).owner == admin


def test_a_reply_and_a_stop_are_credited_to_the_campaign(admin, sms_sender, vip, tasks):
    ann = customer("+12025550101", "Ann", label=vip)
    ben = customer("+12025550102", "Ben", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    launch_and_release(campaign, admin, tasks)
    with time_machine.travel(MIDDAY + timedelta(minutes=5), tick=False):
        receive(sms_sender, ann.phone_e164, "Tell me more")
        receive(sms_sender, ben.phone_e164, "STOP")
    figures = figures_counted(campaign=campaign, now=MIDDAY)
    assert (figures["sent"], figures["replied"], figures["opted_out"]) == (2, 2, 1)


def test_a_sweep_releases_a_minute_of_the_sender_ids_pace_and_no_more(
    admin, sms_sender, vip, tasks
):
    """At one segment a second, one sweep gives the next minute's slots; the rest wait."""
    SenderId.objects.filter(pk=sms_sender.pk).update(rate_per_second=1)
    for n in range(70):
        customer(f"+1202555{n + 3000:04d}", f"C{n}", label=vip)
    campaign = sms_campaign(admin, sms_sender, vip)
    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        assert campaigns_release_due() == 62  # slots at 0…61 s: the last one is past 60 s
    assert Recipient.objects.filter(campaign=campaign, state="planned").count() == 8
    latest = Message.objects.order_by("-scheduled_for").values_list("scheduled_for", flat=True)
    assert latest.exclude(scheduled_for=None).first() == MIDDAY + timedelta(seconds=61)


def test_a_template_removed_after_planning_fails_its_recipients_with_the_reason(
    admin, wa_sender, templates, vip, tasks
):
    ann = customer("+12025550101", "Ann", label=vip)
    campaign = whatsapp_campaign(admin, wa_sender, templates["order_update"], vip)
    with time_machine.travel(MIDDAY, tick=False):
        campaign_launch(campaign=campaign, by=admin)
        campaign_start(campaign=campaign, now=MIDDAY)
        templates["order_update"].delete()
        campaigns_release_due()
    row = recipient(campaign, ann)
    assert row.state == Recipient.State.FAILED
    assert "no longer registered with WhatsApp" in row.failure
    assert not Message.objects.exists()

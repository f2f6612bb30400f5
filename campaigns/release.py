"""Releasing a running campaign's planned sends, a sender ID's pace at a time.

A beat sweep (``campaigns.tasks.release_campaigns``) releases, per sender ID, the planned
recipients that are due until the sender ID's send slots reach ``RELEASE_AHEAD`` seconds
ahead: its pacing (``rate_per_second``) decides how fast they go, and a paused or cancelled
campaign stops within that time. Each release runs the send checks again (opt-out, consent,
template approval: ``inbox.services.outreach``), keeps the recipient's quiet hours in their
own local time and the sender ID's business hours (holding it until they open), and is
exactly once: the recipient row is claimed in the transaction that saves its message, whose
idempotency key names the recipient (unique in the database).
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from inbox.models import Channel, Organisation
from inbox.services.held_messages import hold_until
from inbox.services.outreach import message_send_outreach, outreach_conversation
from inbox.services.refusals import SendRefused
from inbox.services.reply_window import check_template_approved

from .audience import contact_values, custom_values_for, message_for
from .models import Campaign, CampaignSettings, QuietHoursRule, Recipient
from .planning import campaign_plan
from .quiet_hours import Window, window_for

RELEASE_AHEAD = timedelta(seconds=60)
BATCH = 200


class QuietRules:
    """The organisation's quiet hours and the stricter regions', read once per sweep."""

    def __init__(self) -> None:
        settings = CampaignSettings.load()
        self.start, self.end = settings.quiet_start, settings.quiet_end
        self.zone = Organisation.load().time_zone
        self.rules: dict = {}
        for rule in QuietHoursRule.objects.all():
            for key in filter(None, (rule.region, rule.code)):
                self.rules[key] = (rule.start, rule.end)

    def window(self, e164: str) -> Window:
        return window_for(
            e164=e164, start=self.start, end=self.end, fallback_zone=self.zone, rules=self.rules
        )


def campaigns_release_due(*, now: datetime | None = None) -> int:
    """Start the campaigns whose time has come, release what is due in the running ones, and
    finish those with nothing left; return how many sends were released."""
    now = now or timezone.now()
    for campaign in Campaign.objects.filter(state=Campaign.State.SCHEDULED, starts_at__lte=now):
        campaign_start(campaign=campaign, now=now)
    released = 0
    quiet = None
    for campaign in Campaign.objects.filter(state=Campaign.State.RUNNING).select_related(
        "template", "owner"
    ):
        quiet = quiet or QuietRules()
        released += campaign_release(campaign=campaign, quiet=quiet, now=now)
    return released


def campaign_start(*, campaign: Campaign, now: datetime) -> bool:
    """Plan a scheduled campaign and set it running; False when another worker did."""
    if not Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.SCHEDULED).update(
        state=Campaign.State.RUNNING, launched_at=now
    ):
        return False
    campaign_plan(campaign=campaign)
    return True


def campaign_release(*, campaign: Campaign, quiet: QuietRules, now: datetime) -> int:
    """Release the campaign's due recipients, sender ID by sender ID, up to its pace."""
    if campaign.planned_at is None:
        campaign_plan(campaign=campaign)  # a worker stopped while planning it
    released = 0
    for sender_id in campaign.senders.values_list("pk", flat=True):
        released += _release_for_sender(campaign, sender_id, quiet, now)
    if not Recipient.objects.filter(campaign=campaign, state=Recipient.State.PLANNED).exists():
        Campaign.objects.filter(
            pk=campaign.pk, state=Campaign.State.RUNNING, planned_at__isnull=False
        ).update(state=Campaign.State.FINISHED, finished_at=now, figures_at=None)
    return released


def _release_for_sender(campaign: Campaign, sender_id: int, quiet: QuietRules, now) -> int:
    """Release the sender ID's due recipients in id order, until its send slots reach
    ``RELEASE_AHEAD`` or none is due."""
    due = (
        Recipient.objects.filter(
            campaign=campaign, sender_id=sender_id, state=Recipient.State.PLANNED
        )
        .exclude(held_until__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    released, after = 0, 0
    while batch := list(due.filter(pk__gt=after)[:BATCH]):
        for recipient_id in batch:
            slot = recipient_release(
                recipient_id=recipient_id, campaign=campaign, quiet=quiet, now=now
            )
            if slot is not None:
                released += 1
                if slot > now + RELEASE_AHEAD:
                    return released
        after = batch[-1]
    return released


def recipient_release(
    *, recipient_id: int, campaign: Campaign, quiet: QuietRules, now: datetime
) -> datetime | None:
    """Send one planned recipient now, or hold it until its quiet hours or its sender ID's
    business hours open, or fail it with the send checks' reason; return the send slot it
    was given (None when it was not sent).

    The recipient row is locked and must still be planned; the message saved in the same
    transaction carries the recipient's idempotency key: a second worker, or a worker
    started again after one was killed, never sends it twice.
    """
    with transaction.atomic():
        recipient = (
            Recipient.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("contact", "sender")
            .filter(pk=recipient_id, state=Recipient.State.PLANNED)
            .first()
        )
        if recipient is None:
            return None
        held = _held_until(recipient, quiet, now)
        if held is not None:
            recipient.held_until, recipient.held_reason = held
            recipient.save(update_fields=["held_until", "held_reason"])
            return None
        return _send(campaign, recipient, now)


def _held_until(recipient: Recipient, quiet: QuietRules, now: datetime):
    """(until, why) when the recipient may not be sent at ``now``; None when it may."""
    window = quiet.window(recipient.address)
    opens = window.next_opening(now)
    try:
        business = hold_until(sender=recipient.sender, at=now)
    except SendRefused:
        business = None  # hours that never open: the agent's sends are refused; this one goes
    if business is not None and business > opens:
        return business, "Business hours of the sender ID"
    if opens > now:
        return opens, f"Quiet hours ({window.label})"
    return None


def _send(campaign: Campaign, recipient: Recipient, now: datetime) -> datetime | None:
    contact = recipient.contact
    values = contact_values(contact, custom_values_for([contact.pk])[contact.pk])
    body, variables, missing = message_for(campaign, values)
    fields = ["state", "released_at", "conversation", "message", "failure", "held_until"]
    recipient.released_at, recipient.held_until = now, None
    try:
        if campaign.channel == Channel.WHATSAPP:
            check_template_approved(template=campaign.template)  # gone or paused since
        if missing:
            raise SendRefused(f"No value for {', '.join(missing)} any more.")
        conversation = outreach_conversation(
            contact=contact,
            sender=recipient.sender,
            address=recipient.address,
            owner=campaign.owner if campaign.replies_to_owner else None,
        )
        recipient.conversation = conversation
        with transaction.atomic():
            message = message_send_outreach(
                conversation=conversation,
                author=campaign.owner,
                body=body,
                idempotency_key=f"campaign-{recipient.public_id}",
                template=campaign.template if variables is not None else None,
                content_variables=variables,
            )
    except SendRefused as refused:
        recipient.state, recipient.failure = Recipient.State.FAILED, str(refused)[:300]
        recipient.save(update_fields=fields)
        return None
    except IntegrityError:
        # Its message exists already: sent by an earlier release; the row says so now.
        recipient.state = Recipient.State.SENT
        recipient.save(update_fields=["state"])
        return None
    recipient.state, recipient.message = Recipient.State.SENT, message
    recipient.save(update_fields=fields)
    return message.scheduled_for or now

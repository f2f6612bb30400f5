"""Creating and running campaigns: who may, editing until it starts, pause, resume, cancel."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from inbox.access import usable_sender_ids
from inbox.models import ContactImport, Label, SenderId, User, WhatsAppTemplate

from .audience import OPERATORS, TAKES_VALUE
from .models import CHANNELS, Campaign, CampaignSettings, Recipient


class CampaignRefused(Exception):
    """A change to a campaign that cannot happen, with the reason in plain words."""


def campaign_sender_ids(user: User) -> QuerySet[SenderId]:
    """The sender IDs ``user`` may send a campaign from: theirs to use, on a campaign's
    channel."""
    return usable_sender_ids(user).filter(channel__in=[value for value, _ in CHANNELS])


def campaign_lists(user: User) -> QuerySet[ContactImport]:
    """The uploaded lists ``user`` may send a campaign to: the contacts imports they ran
    (an admin: anyone's) that are done, newest first."""
    qs = ContactImport.objects.filter(state=ContactImport.State.DONE)
    if not user.is_admin:
        qs = qs.filter(created_by=user)
    return qs.order_by("-created_at", "-pk")


def clean_conditions(conditions: list[dict]) -> list[dict]:
    """Each condition as stored, or CampaignRefused: a known operator, and a value for
    those that compare with one."""
    clean = []
    for condition in conditions:
        field, op = str(condition.get("field", "")), condition.get("op", "")
        value = str(condition.get("value") or "").strip()[:500]
        if not field or op not in OPERATORS:
            raise CampaignRefused("A condition needs a custom field and what to ask of it.")
        if op in TAKES_VALUE and not value:
            raise CampaignRefused(f"Give the value the condition on “{field}” compares with.")
        clean.append({"field": field, "op": op, "value": value if op in TAKES_VALUE else ""})
    return clean


def can_run_campaigns(user: User) -> bool:
    """Admins, and standard users when the organisation allows it."""
    return user.is_active and (user.is_admin or CampaignSettings.load().agents_may_create)


def campaign_save(
    *,
    by: User,
    campaign: Campaign | None,
    name: str,
    channel: str,
    senders: list[SenderId],
    labels: list[Label],
    consent: str,
    last_contact_days: int | None,
    body: str,
    conditions: Iterable[dict] = (),
    contact_list: ContactImport | None = None,
    template: WhatsAppTemplate | None,
    variables: dict,
    starts_at: datetime | None,
    replies_to_owner: bool,
) -> Campaign:
    """Create a draft (``campaign`` None) or change one until it starts."""
    if not can_run_campaigns(by):
        raise CampaignRefused("Only admins can create campaigns here.")
    allowed = set(campaign_sender_ids(by).values_list("pk", flat=True))
    if not senders or any(s.pk not in allowed or s.channel != channel for s in senders):
        raise CampaignRefused("Choose sender IDs of the campaign's channel that you may use.")
    if contact_list is not None and not campaign_lists(by).filter(pk=contact_list.pk).exists():
        raise CampaignRefused("Choose an uploaded list of yours whose import is done.")
    conditions = clean_conditions(list(conditions))
    if campaign is None:
        campaign = Campaign(owner=by)
    elif not campaign.is_editable:
        raise CampaignRefused("This campaign has started: duplicate it to change it.")
    campaign.name, campaign.channel, campaign.consent = name, channel, consent
    campaign.last_contact_days, campaign.starts_at = last_contact_days, starts_at
    campaign.body, campaign.template, campaign.variables = body, template, variables
    campaign.replies_to_owner = replies_to_owner
    campaign.conditions, campaign.contact_list = conditions, contact_list
    with transaction.atomic():
        campaign.save()
        campaign.senders.set(senders)
        campaign.labels.set(labels)
    return campaign


def campaign_duplicate(*, campaign: Campaign, by: User) -> Campaign:
    """A new draft with the same audience and message, owned by ``by``."""
    if not can_run_campaigns(by):
        raise CampaignRefused("Only admins can create campaigns here.")
    copy = Campaign.objects.get(pk=campaign.pk)
    copy.pk = copy.id = None
    copy.public_id = Campaign._meta.get_field("public_id").default()
    copy.name = f"{campaign.name} (copy)"[:200]
    copy.owner, copy.state, copy.starts_at = by, Campaign.State.DRAFT, None
    copy.launched_at = copy.planned_at = copy.finished_at = None
    with transaction.atomic():
        copy.save()
        copy.senders.set(campaign.senders.all())
        copy.labels.set(campaign.labels.all())
    return copy


def campaign_launch(*, campaign: Campaign, by: User, now: datetime | None = None) -> Campaign:
    """Schedule a draft for its time (now, when it has none); the release sweep plans it
    and sends. Refused without a message."""
    now = now or timezone.now()
    if campaign.template_id is None and not campaign.body.strip():
        raise CampaignRefused("Write the message, or choose a template, before launching.")
    if not Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.DRAFT).update(
        state=Campaign.State.SCHEDULED, starts_at=campaign.starts_at or now
    ):
        raise CampaignRefused("This campaign was launched already.")
    campaign.refresh_from_db()
    transaction.on_commit(_release_soon)
    return campaign


def _release_soon() -> None:
    from .tasks import enqueue_release

    enqueue_release()


def can_manage(user: User, campaign: Campaign) -> bool:
    """Its owner (while allowed to run campaigns) or an admin."""
    return user.is_admin or (campaign.owner_id == user.pk and can_run_campaigns(user))


def campaign_pause(*, campaign: Campaign, by: User) -> None:
    """Stop releasing sends; what was released already goes."""
    _move(campaign, (Campaign.State.RUNNING, Campaign.State.SCHEDULED), Campaign.State.PAUSED)


def campaign_resume(*, campaign: Campaign, by: User) -> None:
    state = Campaign.State.RUNNING if campaign.planned_at else Campaign.State.SCHEDULED
    _move(campaign, (Campaign.State.PAUSED,), state)
    transaction.on_commit(_release_soon)


def campaign_cancel(*, campaign: Campaign, by: User) -> None:
    """Cancel what is not sent yet: planned recipients are never sent."""
    with transaction.atomic():
        _move(
            campaign,
            (
                Campaign.State.DRAFT,
                Campaign.State.SCHEDULED,
                Campaign.State.RUNNING,
                Campaign.State.PAUSED,
            ),
            Campaign.State.CANCELLED,
        )
        Recipient.objects.filter(campaign=campaign, state=Recipient.State.PLANNED).update(
            state=Recipient.State.CANCELLED
        )


_VERBS = {
    Campaign.State.PAUSED: "paused",
    Campaign.State.RUNNING: "resumed",
    Campaign.State.SCHEDULED: "resumed",
    Campaign.State.CANCELLED: "cancelled",
}


def _move(campaign: Campaign, sources: tuple, target: str) -> None:
    """Move from one of ``sources`` to ``target`` (a conditional UPDATE: two clicks, or a
    worker finishing it meanwhile, move it once)."""
    # The figures are counted again at the worker's next sweep (a cancel moves recipients).
    moved = Campaign.objects.filter(pk=campaign.pk, state__in=sources)
    if not moved.update(state=target, figures_at=None):
        campaign.refresh_from_db(fields=["state"])
        raise CampaignRefused(
            f"A {campaign.get_state_display().lower()} campaign cannot be {_VERBS[target]}."
        )
    campaign.state = target

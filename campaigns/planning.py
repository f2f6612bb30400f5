"""Planning a campaign: each recipient resolved once, planned or excluded with a reason.

Contacts are read in chunks (keyset on the primary key) and written with one bulk insert per
chunk, so memory stays flat however large the audience. The unique constraints make a plan
that is run again (a worker killed mid-plan) add only what is missing.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inbox.models import Channel, Contact, Conversation

from .audience import (
    campaign_audience,
    contact_values,
    custom_values_for,
    is_us_marketing,
    message_for,
)
from .models import Campaign, Exclusion, Recipient

CHUNK = 2000


def campaign_plan(*, campaign: Campaign) -> int:
    """Write the campaign's recipient rows; return how many were added by this call."""
    senders = list(campaign.senders.order_by("pk").values_list("pk", flat=True))
    audience = campaign_audience(campaign).order_by("pk")
    added, after = 0, 0
    while True:
        chunk = list(
            audience.filter(pk__gt=after).only(
                "pk",
                "display_name",
                "phone_e164",
                "whatsapp_id",
                "sms_opted_out_at",
                "whatsapp_consent_at",
            )[:CHUNK]
        )
        if not chunk:
            break
        after = chunk[-1].pk
        added += _plan_chunk(campaign=campaign, contacts=chunk, senders=senders)
    Campaign.objects.filter(pk=campaign.pk, planned_at__isnull=True).update(
        planned_at=timezone.now()
    )
    return added


def _plan_chunk(*, campaign: Campaign, contacts: list[Contact], senders: list[int]) -> int:
    ids = [c.pk for c in contacts]
    custom = custom_values_for(ids)
    # A contact already talking with one of the campaign's sender IDs keeps it.
    talking = dict(
        Conversation.objects.filter(contact_id__in=ids, sender_id__in=senders)
        .order_by("last_activity_at")  # the latest thread wins
        .values_list("contact_id", "sender_id")
    )
    addresses = {c.pk: address_of(campaign, c) for c in contacts}
    taken = set(
        Recipient.objects.filter(
            campaign=campaign, address__in=[a for a in addresses.values() if a]
        )
        .filter(~Q(state=Recipient.State.EXCLUDED))
        .exclude(contact_id__in=ids)
        .values_list("address", flat=True)
    )
    rows = []
    for contact in contacts:
        address = addresses[contact.pk]
        exclusion = _exclusion(campaign, contact, address, custom[contact.pk], taken)
        if not exclusion and address:
            taken.add(address)
        rows.append(
            Recipient(
                campaign=campaign,
                contact=contact,
                address=address,
                sender_id=talking.get(contact.pk) or senders[contact.pk % len(senders)],
                state=Recipient.State.EXCLUDED if exclusion else Recipient.State.PLANNED,
                exclusion=exclusion,
            )
        )
    with transaction.atomic():
        before = Recipient.objects.filter(campaign=campaign).count()
        Recipient.objects.bulk_create(rows, ignore_conflicts=True)
        return Recipient.objects.filter(campaign=campaign).count() - before


def address_of(campaign: Campaign, contact: Contact) -> str:
    """The number the campaign goes to: the WhatsApp number, else the phone."""
    if campaign.channel == Channel.WHATSAPP and contact.whatsapp_id:
        return contact.whatsapp_id.removeprefix("whatsapp:")
    return contact.phone_e164 or ""


def _exclusion(
    campaign: Campaign, contact: Contact, address: str, custom: dict, taken: set[str]
) -> str:
    """Why ``contact`` is not sent the campaign, or "" when it is planned."""
    if not address.startswith("+"):
        return Exclusion.INVALID_NUMBER
    if contact.sms_opted_out_at is not None:
        return Exclusion.OPTED_OUT
    if campaign.channel == Channel.WHATSAPP:
        if contact.whatsapp_consent_at is None:
            return Exclusion.NO_WHATSAPP_OPT_IN
        if is_us_marketing(campaign, address):
            return Exclusion.US_MARKETING
    _, _, missing = message_for(campaign, contact_values(contact, custom))
    if missing:
        return Exclusion.MISSING_VALUE
    if address in taken:
        return Exclusion.DUPLICATE
    return ""

"""Campaign test data: a WhatsApp line with the simulator's templates, labelled customers."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.release import campaigns_release_due
from campaigns.services import campaign_launch, campaign_save
from inbox.models import Channel, Contact, Label, SenderId, WhatsAppTemplate
from inbox.services.whatsapp_templates import whatsapp_templates_sync

# A Monday at 17:00 UTC: 12:00 in New York, 09:00 in Los Angeles; inside quiet hours.
MIDDAY = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


@pytest.fixture
def templates(db) -> dict[str, WhatsAppTemplate]:
    whatsapp_templates_sync()  # the simulator's demo templates
    return {t.name: t for t in WhatsAppTemplate.objects.all()}


@pytest.fixture
def wa_sender(admin) -> SenderId:
    return SenderId.objects.create(
        address="whatsapp:+14155550142",
        channel=Channel.WHATSAPP,
        label="WhatsApp",
        rate_per_second=10,
    )


@pytest.fixture
def sms_sender(admin) -> SenderId:
    return SenderId.objects.create(
        address="+14155550177", channel=Channel.SMS, label="Promotions", rate_per_second=10
    )


@pytest.fixture
def vip(db) -> Label:
    return Label.objects.create(name="VIP")


def customer(number: str, name: str = "", *, label=None, consent=True, opted_out=False) -> Contact:
    contact = Contact.objects.create(
        phone_e164=number,
        display_name=name,
        whatsapp_consent_at=timezone.now() if consent else None,
        sms_opted_out_at=timezone.now() if opted_out else None,
    )
    if label is not None:
        contact.labels.add(label)
    return contact


def whatsapp_campaign(owner, sender, template, label, **changes) -> Campaign:
    fields = {
        "name": "December news",
        "channel": Channel.WHATSAPP,
        "senders": [sender],
        "labels": [label],
        "consent": "",
        "last_contact_days": None,
        "body": "",
        "template": template,
        "variables": {"1": {"field": "name"}, "2": {"value": "D-1"}},
        "starts_at": None,
        "replies_to_owner": True,
    }
    return campaign_save(by=owner, campaign=None, **(fields | changes))


def sms_campaign(owner, sender, label, body="Hi {{name}}, see you soon.", **changes) -> Campaign:
    return whatsapp_campaign(
        owner, sender, None, label, channel=Channel.SMS, body=body, variables={}, **changes
    )


def launch_and_release(campaign, owner, tasks, at=MIDDAY) -> None:
    """Launch ``campaign`` and run the worker's sweep and its sends, at ``at``."""
    with time_machine.travel(at, tick=False):
        campaign_launch(campaign=campaign, by=owner)
        campaigns_release_due()
        tasks.run_all()

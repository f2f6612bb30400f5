"""Who a campaign reaches (its audience) and what its message says to each of them."""

import re
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from inbox.models import Channel, Contact, ContactFieldValue, CustomField, WhatsAppTemplate
from inbox.pure.segments import count_segments

from .models import Campaign

PLACEHOLDER = re.compile(r"\{\{\s*([\w-]+)\s*\}\}")
# Placeholders every contact has besides its custom fields.
BUILT_IN_FIELDS = {"name": "Name", "phone": "Phone number"}
MARKETING = "marketing"


def audience_contacts(
    *, label_ids: Iterable[int], consent: str, last_contact_days: int | None
) -> QuerySet[Contact]:
    """The contacts an audience names: any of the labels (none: everyone), the consent
    state, and any message with them in the last ``last_contact_days``."""
    qs = Contact.objects.all()
    label_ids = list(label_ids)
    if label_ids:
        labelled = Contact.labels.through.objects.filter(label_id__in=label_ids)
        qs = qs.filter(pk__in=labelled.values("contact_id"))
    if consent == Campaign.Consent.OPTED_IN:
        qs = qs.filter(whatsapp_consent_at__isnull=False, sms_opted_out_at__isnull=True)
    elif consent == Campaign.Consent.NOT_OPTED_OUT:
        qs = qs.filter(sms_opted_out_at__isnull=True)
    if last_contact_days is not None:
        qs = qs.filter(last_activity_at__gte=timezone.now() - timedelta(days=last_contact_days))
    return qs


def campaign_audience(campaign: Campaign) -> QuerySet[Contact]:
    return audience_contacts(
        label_ids=campaign.labels.values_list("pk", flat=True),
        consent=campaign.consent,
        last_contact_days=campaign.last_contact_days,
    )


def field_choices() -> list[tuple[str, str]]:
    """The fields a placeholder or a template variable may name: built-in, then custom."""
    custom = [(f.name, f.label or f.name) for f in CustomField.objects.order_by("name")]
    return [*BUILT_IN_FIELDS.items(), *custom]


def contact_values(contact: Contact, custom: dict[str, str]) -> dict[str, str]:
    """What ``contact`` has for each field (``custom``: its custom fields' values)."""
    return {**custom, "name": contact.display_name, "phone": contact.phone_e164 or ""}


def custom_values_for(contact_ids: list[int]) -> dict[int, dict[str, str]]:
    """The custom fields' values of each of ``contact_ids``: one query."""
    values: dict[int, dict[str, str]] = {pk: {} for pk in contact_ids}
    rows = ContactFieldValue.objects.filter(contact_id__in=contact_ids).values_list(
        "contact_id", "field__name", "value"
    )
    for contact_id, name, value in rows:
        values[contact_id][name] = value
    return values


def render_text(body: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """``body`` with each {{field}} filled; and the placeholders that have no value."""
    missing: list[str] = []

    def fill(match: re.Match) -> str:
        value = (values.get(match.group(1)) or "").strip()
        if not value:
            missing.append(match.group(1))
        return value

    return PLACEHOLDER.sub(fill, body), missing


def template_values(
    template: WhatsAppTemplate, mapping: dict, values: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The template's variables filled from ``mapping`` ({"1": {"field": "name"}} or
    {"1": {"value": "Spring sale"}}); and the variables that have no value."""
    filled, missing = {}, []
    for variable in template.variables:
        source = mapping.get(variable) or {}
        value = source.get("value") or values.get(source.get("field", ""), "")
        value = (value or "").strip()
        if value:
            filled[variable] = value
        else:
            missing.append(variable)
    return filled, missing


def message_for(campaign: Campaign, values: dict[str, str]) -> tuple[str, dict | None, list[str]]:
    """The text a recipient with ``values`` is sent, the template variables (WhatsApp), and
    what has no value."""
    if campaign.channel == Channel.WHATSAPP and campaign.template is not None:
        filled, missing = template_values(campaign.template, campaign.variables, values)
        return campaign.template.render(filled), filled, missing
    text, missing = render_text(campaign.body, values)
    return text, None, missing


def message_needs(campaign: Campaign) -> tuple[list[str], bool]:
    """What ``message_for`` reports missing depends on: the fields whose value the message
    takes (a contact without one of them has a missing value), and whether some part of it
    has no value whoever the contact is (a fixed template value of blanks only)."""
    if campaign.channel == Channel.WHATSAPP and campaign.template is not None:
        fields: list[str] = []
        never = False
        for variable in campaign.template.variables:
            source = campaign.variables.get(variable) or {}
            if source.get("value"):
                never = never or not source["value"].strip()
            elif source.get("field", "") not in fields:
                fields.append(source.get("field", ""))
        return fields, never
    return list(dict.fromkeys(PLACEHOLDER.findall(campaign.body))), False


def is_us_marketing(campaign: Campaign, address: str) -> bool:
    """A WhatsApp marketing template to a +1 number: Meta delivers none since April 2025
    (error 63049)."""
    template = campaign.template
    return (
        campaign.channel == Channel.WHATSAPP
        and template is not None
        and template.category.lower() == MARKETING
        and address.startswith("+1")
    )


def cost_estimate(body: str, recipients: int, price) -> dict:
    """Segments of ``body`` (its placeholders as written), and their estimated cost."""
    segments = max(count_segments(body).segments, 1) if body else 0
    return {"segments": segments, "cost": segments * recipients * price}

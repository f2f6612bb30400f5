"""Who a campaign reaches (its audience) and what its message says to each of them."""

import re
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from inbox.models import (
    Channel,
    Contact,
    ContactFieldValue,
    ContactImport,
    CustomField,
    ImportedContact,
    WhatsAppTemplate,
)
from inbox.pure.segments import count_segments

from .models import Campaign

PLACEHOLDER = re.compile(r"\{\{\s*([\w-]+)\s*\}\}")
# Placeholders every contact has besides its custom fields.
BUILT_IN_FIELDS = {"name": "Name", "phone": "Phone number"}
MARKETING = "marketing"


# What a custom-field condition can ask of a contact's value (case is ignored).
OPERATORS = {
    "equals": "equals",
    "contains": "contains",
    "set": "is set",
    "not_set": "is not set",
}
# The operators that compare with the condition's value.
TAKES_VALUE = ("equals", "contains")


def audience_contacts(
    *,
    label_ids: Iterable[int],
    consent: str,
    last_contact_days: int | None,
    conditions: Iterable[dict] = (),
    contact_list_id: int | None = None,
) -> QuerySet[Contact]:
    """The contacts an audience names: any of the labels (none: everyone), the consent
    state, any message with them in the last ``last_contact_days``, every custom-field
    condition, and among the contacts of the uploaded list ``contact_list_id``.

    Each condition and the list are a scalar subquery of the contact, one entry of a unique
    index looked up per contact (never a set of ids in Python, never a semi-join the
    planner could start from and hash again for each chunk): a plan's chunk stays one query,
    read in the contacts' order, however large the audience and whatever the statistics."""
    qs = Contact.objects.all()
    if contact_list_id is not None:
        member = ImportedContact.objects.filter(
            contact_import_id=contact_list_id, contact=OuterRef("pk")
        )
        qs = qs.alias(in_list=Subquery(member.values("pk")[:1])).filter(in_list__isnull=False)
    conditions = list(conditions)
    if conditions:
        names = {c.get("field", "") for c in conditions}
        field_ids = dict(CustomField.objects.filter(name__in=names).values_list("name", "pk"))
        for i, condition in enumerate(conditions):
            field_id = field_ids.get(condition.get("field", ""))
            values = ContactFieldValue.objects.filter(contact=OuterRef("pk"), field_id=field_id)
            qs = qs.alias(**{f"field_{i}": Subquery(values.values("value")[:1])})
            qs = qs.filter(condition_q(condition, f"field_{i}", known=field_id is not None))
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


def condition_q(condition: dict, alias: str, *, known: bool) -> Q:
    """The contacts whose value ``alias`` (their value of the condition's field, null for
    none) meets ``condition``. A value of blanks is no value; a field nobody has a value for
    (not ``known``): "is not set" is everyone, the others nobody."""
    op, value = condition.get("op"), (condition.get("value") or "").strip()
    if not known:
        return Q() if op == "not_set" else Q(pk__in=[])
    if op == "equals":
        return Q(**{f"{alias}__iexact": value})
    if op == "contains":
        return Q(**{f"{alias}__icontains": value})
    filled = Q(**{f"{alias}__regex": r"\S"})
    return Q(**{f"{alias}__isnull": True}) | ~filled if op == "not_set" else filled


def describe_condition(condition: dict, labels: dict[str, str]) -> str:
    """A condition in words: "City equals “Paris”", "Order id is set"."""
    field = labels.get(condition.get("field", ""), condition.get("field", ""))
    op = condition.get("op", "")
    words = f"{field} {OPERATORS.get(op, op)}"
    return f"{words} “{condition.get('value', '')}”" if op in TAKES_VALUE else words


def audience_description(campaign: Campaign) -> list[str]:
    """The campaign's audience in words, one part a line (a query for its labels, one for
    the fields its conditions name, one for its list)."""
    labels = list(campaign.labels.order_by("name").values_list("name", flat=True))
    parts = [f"Labelled {', '.join(labels)}" if labels else "Every contact"]
    if campaign.consent:
        parts.append(campaign.get_consent_display())
    if campaign.last_contact_days:
        parts.append(f"Last contact within {campaign.last_contact_days} days")
    if campaign.conditions:
        names = {c.get("field", "") for c in campaign.conditions}
        field_labels = {
            name: label or name
            for name, label in CustomField.objects.filter(name__in=names).values_list(
                "name", "label"
            )
        }
        parts += [describe_condition(c, field_labels) for c in campaign.conditions]
    if campaign.contact_list_id:
        name = (
            ContactImport.objects.filter(pk=campaign.contact_list_id)
            .values_list("file_name", flat=True)
            .first()
        )
        parts.append(f"In the uploaded list “{name or 'Upload'}”")
    return parts


def campaign_audience(campaign: Campaign) -> QuerySet[Contact]:
    return audience_contacts(
        label_ids=campaign.labels.values_list("pk", flat=True),
        consent=campaign.consent,
        last_contact_days=campaign.last_contact_days,
        conditions=campaign.conditions,
        contact_list_id=campaign.contact_list_id,
    )


def field_choices() -> list[tuple[str, str]]:
    """The fields a placeholder or a template variable may name: built-in, then custom."""
    return [*BUILT_IN_FIELDS.items(), *custom_field_choices()]


def custom_field_choices() -> list[tuple[str, str]]:
    """The custom fields (name, label) a condition may ask of: one query."""
    return [(f.name, f.label or f.name) for f in CustomField.objects.order_by("name")]


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

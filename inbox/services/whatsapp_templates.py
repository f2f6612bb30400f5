"""Registered WhatsApp templates (F-TP2): the local copy, filling variables, sending one."""

from django.db import transaction
from django.utils import timezone

from ..channels import adapter_for, channel_rules
from ..models import Channel, Contact, Conversation, Message, User, WhatsAppTemplate
from .refusals import SendRefused
from .reply_window import check_template_approved
from .sending import message_send

# A variable mapped to this fills from the contact's name; any other name is a custom field.
NAME_FIELD = "name"


def template_values_from_contact(*, template: WhatsAppTemplate, contact: Contact) -> dict:
    """What the contact's details say for each mapped variable (absent when unknown)."""
    fields = {v.field.name: v.value for v in contact.field_values.select_related("field")}
    values = {}
    for variable in template.variables:
        source = template.variable_fields.get(variable, "")
        value = contact.display_name if source == NAME_FIELD else fields.get(source, "")
        if value:
            values[variable] = value
    return values


def whatsapp_template_send(
    *,
    conversation: Conversation,
    author: User,
    template: WhatsAppTemplate,
    values: dict[str, str],
    idempotency_key: str | None = None,
) -> Message:
    """Send an approved template with ``values`` for its variables.

    Every variable needs a value: a blank one is refused here, naming it, rather than
    rejected by the provider or left stuck. The thread keeps the text the customer sees.
    (The approval is checked first here, for its reason to come before any blank
    variable's, and again by the send checks, which a held message meets at release.)
    """
    check_template_approved(template=template)
    if not channel_rules(conversation.sender_id.channel).templates:
        raise SendRefused("Registered templates are for WhatsApp sender IDs.")
    filled = template_values_check(template=template, values=values)
    return message_send(
        conversation=conversation,
        author=author,
        body=template.render(filled),
        idempotency_key=idempotency_key,
        template=template,
        content_variables=filled,
    )


def template_values_check(*, template: WhatsAppTemplate, values: dict[str, str]) -> dict:
    """``values`` for each of the template's variables, trimmed; SendRefused naming the
    blank ones."""
    filled = {v: (values.get(v) or "").strip() for v in template.variables}
    missing = [v for v, value in filled.items() if not value]
    if missing:
        names = ", ".join(f"{{{{{v}}}}}" for v in missing)
        raise SendRefused(f"Fill in {names} before sending “{template.name}”.")
    return filled


def whatsapp_templates_sync() -> int:
    """Refresh the local copy from the provider; return how many templates it lists.

    Templates the provider no longer lists are removed (sent messages keep their text).
    """
    listed = adapter_for(Channel.WHATSAPP).list_templates()
    now = timezone.now()
    with transaction.atomic():
        for item in listed:
            WhatsAppTemplate.objects.update_or_create(
                content_sid=item.content_sid,
                defaults={
                    "name": item.name[:200],
                    "language": item.language[:16],
                    "body": item.body,
                    "default_values": item.default_values,
                    "category": item.category[:40],
                    "approval": item.approval
                    if item.approval in WhatsAppTemplate.Approval.values
                    else WhatsAppTemplate.Approval.UNSUBMITTED,
                    "last_synced_at": now,
                },
            )
        WhatsAppTemplate.objects.exclude(
            content_sid__in=[item.content_sid for item in listed]
        ).delete()
    return len(listed)

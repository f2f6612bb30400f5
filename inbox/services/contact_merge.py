"""Merging two contacts found to be the same person (F-CT4).

One contact is kept; the other's conversations, custom fields, labels, identities (numbers,
WhatsApp numbers, e-mail addresses…), consent records and history move to it, and the other
is deleted. Each conversation keeps its own identity and address
(``Conversation.customer_address``), so replies still go where the customer wrote from; the
merged contact's identities become the kept one's, so the customer's next message or a new
conversation to them finds the kept contact.

Consent takes the safe side: the kept contact is opted out of SMS when either was; WhatsApp
consent stays when either gave it and no opt-out or revocation on either came after it.
Admins only: a merge moves conversations between people's inboxes and changes consent.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ..live_events import event_record
from ..models import (
    ConsentRecord,
    Contact,
    ContactChange,
    ContactFieldValue,
    ContactIdentity,
    Conversation,
    ConversationEvent,
    User,
)
from ..pure.phone import format_phone

# The details that fill the kept contact's when it has none: (attribute, label).
DETAILS = (("display_name", "Name"), ("email", "Email"), ("whatsapp_id", "WhatsApp"))


class MergeRefused(ValueError):
    """A merge that cannot be made; the message says why, for people."""


@dataclass(frozen=True)
class FieldOutcome:
    """One detail or custom field both contacts have: what the kept contact ends with."""

    label: str
    kept_value: str
    merged_value: str

    @property
    def conflict(self) -> bool:
        """Both have a different value: the kept one's stays, the other is dropped."""
        return bool(self.kept_value) and self.kept_value != self.merged_value

    @property
    def result(self) -> str:
        return self.kept_value or self.merged_value


@dataclass(frozen=True)
class MergePlan:
    """What merging ``merged`` into ``kept`` will do: shown before, applied by the merge."""

    kept: Contact
    merged: Contact
    fields: list[FieldOutcome]
    sms_opted_out_at: datetime | None
    whatsapp_consent_at: datetime | None
    # Each contact's custom field values, by contact id then field id: what the merge moves.
    values: dict[int, dict[int, ContactFieldValue]]

    @property
    def conflicts(self) -> list[FieldOutcome]:
        return [f for f in self.fields if f.conflict]

    @property
    def filled(self) -> list[FieldOutcome]:
        return [f for f in self.fields if not f.kept_value and f.merged_value]


def check_may_merge(*, user: User) -> None:
    if not user.is_admin:
        raise MergeRefused("Only an admin can merge contacts.")


def merge_plan(*, kept: Contact, merged: Contact) -> MergePlan:
    """The outcome of the merge, field by field, and the consent state it leaves (2 queries)."""
    if kept.pk == merged.pk:
        raise MergeRefused("A contact cannot be merged with itself.")
    fields = [
        FieldOutcome(label, getattr(kept, attr), getattr(merged, attr))
        for attr, label in DETAILS
        if getattr(merged, attr)
    ]
    values: dict[int, dict[int, ContactFieldValue]] = {kept.pk: {}, merged.pk: {}}
    for value in ContactFieldValue.objects.filter(contact__in=[kept.pk, merged.pk]).select_related(
        "field"
    ):
        values[value.contact_id][value.field_id] = value
    for field_id, theirs in sorted(
        values[merged.pk].items(), key=lambda item: str(item[1].field).lower()
    ):
        ours = values[kept.pk].get(field_id)
        if theirs.value:
            fields.append(FieldOutcome(str(theirs.field), ours.value if ours else "", theirs.value))
    opted_out = _latest(kept.sms_opted_out_at, merged.sms_opted_out_at)
    return MergePlan(
        kept=kept,
        merged=merged,
        fields=fields,
        sms_opted_out_at=opted_out,
        whatsapp_consent_at=_whatsapp_consent(kept=kept, merged=merged, opted_out_at=opted_out),
        values=values,
    )


def _latest(*times: datetime | None) -> datetime | None:
    return max((t for t in times if t is not None), default=None)


def _whatsapp_consent(
    *, kept: Contact, merged: Contact, opted_out_at: datetime | None
) -> datetime | None:
    """The newest WhatsApp consent of the two, unless an opt-out or a revocation recorded on
    either contact came after it."""
    granted = _latest(kept.whatsapp_consent_at, merged.whatsapp_consent_at)
    if granted is None:
        return None
    if opted_out_at is not None and opted_out_at > granted:
        return None
    revoked_at = ConsentRecord.objects.filter(
        contact__in=[kept.pk, merged.pk], kind=ConsentRecord.Kind.OPT_OUT
    ).aggregate(at=Max("at"))["at"]
    return None if revoked_at is not None and revoked_at > granted else granted


def contacts_merge(*, kept: Contact, merged: Contact, by: User) -> Contact:
    """Merge ``merged`` into ``kept`` in one transaction; return the kept contact.

    Both contact rows are locked (in id order, so two merges cannot deadlock), then the
    conversations of both: a customer message arriving meanwhile waits and lands on the
    kept contact. Raises MergeRefused for a non-admin, the same contact twice, or a contact
    that no longer exists (merged by someone else meanwhile).
    """
    check_may_merge(user=by)
    if kept.pk == merged.pk:
        raise MergeRefused("A contact cannot be merged with itself.")
    with transaction.atomic():
        locked = {
            c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[kept.pk, merged.pk])
        }
        if len(locked) != 2:
            raise MergeRefused("One of these contacts no longer exists: it was merged meanwhile.")
        kept, merged = locked[kept.pk], locked[merged.pk]
        threads = list(
            Conversation.objects.select_for_update()
            .filter(contact__in=[kept.pk, merged.pk])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        plan = merge_plan(kept=kept, merged=merged)
        changes = _merge_details(plan)
        changes += _merge_labels(kept=kept, merged=merged)
        changes += _consent_changes(plan)
        changes += _move_identities(kept=kept, merged=merged)
        now = timezone.now()
        ConsentRecord.objects.filter(contact=merged).update(contact=kept)
        ContactChange.objects.filter(contact=merged).update(contact=kept)
        Conversation.objects.filter(contact=merged).update(contact=kept)
        # Open threads of both show the new name and consent on their next live refresh.
        Conversation.objects.filter(pk__in=threads).update(changed_at=now)
        event_record(kind="contact", conversations=list(threads))
        summary = f"{_described(merged)} into {_described(kept)}"
        ConversationEvent.objects.bulk_create(
            ConversationEvent(
                conversation_id=pk, kind=ConversationEvent.Kind.MERGED, actor=by, body=summary
            )
            for pk in threads
        )
        ContactChange.objects.create(
            contact=kept,
            actor=by,
            source=ContactChange.Source.MERGED,
            changes=[{"field": "Merged in", "old": "", "new": _described(merged)}, *changes],
            at=now,
        )
        kept.sms_opted_out_at = plan.sms_opted_out_at
        kept.whatsapp_consent_at = plan.whatsapp_consent_at
        kept.last_activity_at = max(kept.last_activity_at, merged.last_activity_at)
        merged_phone = merged.phone_e164
        merged.delete()
        if merged_phone and not kept.phone_e164:
            kept.phone_e164 = merged_phone
        kept.save()
    return kept


def _described(contact: Contact) -> str:
    number = format_phone(contact.phone_e164 or "")
    if contact.display_name and number:
        return f"{contact.display_name} ({number})"
    return contact.shown_name


def _merge_details(plan: MergePlan) -> list[dict[str, str]]:
    """Fill the kept contact's empty details and fields; record each value dropped."""
    kept, merged = plan.kept, plan.merged
    changes = []
    for outcome in plan.fields:
        if outcome.conflict:
            changes.append(
                {
                    "field": f"{outcome.label} (not kept from the merged contact)",
                    "old": outcome.merged_value,
                    "new": outcome.kept_value,
                }
            )
        elif not outcome.kept_value:
            changes.append({"field": outcome.label, "old": "", "new": outcome.merged_value})
    for attr, _label in DETAILS:
        if not getattr(kept, attr) and getattr(merged, attr):
            setattr(kept, attr, getattr(merged, attr))
    ours = plan.values[kept.pk]
    for field_id, value in plan.values[merged.pk].items():
        mine = ours.get(field_id)
        if mine is None:
            value.contact = kept
            value.save(update_fields=["contact"])
        elif not mine.value and value.value:
            mine.value = value.value
            mine.save(update_fields=["value"])
    return changes


def _merge_labels(*, kept: Contact, merged: Contact) -> list[dict[str, str]]:
    before = sorted(label.name for label in kept.labels.all())
    kept.labels.add(*merged.labels.all())
    after = sorted(label.name for label in kept.labels.all())
    if before == after:
        return []
    return [{"field": "Labels", "old": ", ".join(before), "new": ", ".join(after)}]


def _consent_changes(plan: MergePlan) -> list[dict[str, str]]:
    kept = plan.kept
    changes = []
    if (kept.sms_opted_out_at is None) != (plan.sms_opted_out_at is None):
        changes.append({"field": "SMS", "old": "Not opted out", "new": "Opted out"})
    if (kept.whatsapp_consent_at is None) != (plan.whatsapp_consent_at is None):
        states = ["No consent", "Consent"]
        if kept.whatsapp_consent_at:
            states.reverse()
        changes.append({"field": "WhatsApp consent", "old": states[0], "new": states[1]})
    return changes


def _move_identities(*, kept: Contact, merged: Contact) -> list[dict[str, str]]:
    """The merged contact's identities become the kept one's. Its phone becomes the kept
    contact's phone when that has none (written once the merged row is gone: the column is
    unique), else one of its other numbers."""
    changes = []
    moved = merged.other_numbers
    ContactIdentity.objects.filter(contact=merged).update(contact=kept)
    if merged.phone_e164 and not kept.phone_e164:
        changes.append({"field": "Phone", "old": "", "new": format_phone(merged.phone_e164)})
    elif merged.phone_e164:
        moved.insert(0, merged.phone_e164)
    if moved:
        changes.append(
            {"field": "Other numbers", "old": "", "new": ", ".join(map(format_phone, moved))}
        )
    return changes

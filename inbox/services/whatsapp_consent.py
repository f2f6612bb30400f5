"""WhatsApp opt-in consent (F-CP2): who may receive registered templates, and its history.

The contact row holds the current state (``whatsapp_consent_at``); every change is a
ConsentRecord on the WhatsApp channel and an event in the contact's WhatsApp threads.
An opt-out keyword (STOP) withdraws it (``inbox.services.consent``).
"""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..live_events import event_record
from ..models import Channel, ConsentRecord, Contact, Conversation, ConversationEvent, User
from ..pure.phone import InvalidPhoneNumber, normalise_phone
from .identities import contact_for_number
from .refusals import SendRefused

NO_CONSENT = "no_consent"
OPTED_OUT = "opted_out"
OPTED_OUT_REASON = (
    "The customer opted out: nothing can be sent to them, templates included, and no "
    "opt-in can be recorded until they text START."
)
# What an agent may name as the origin of a customer's opt-in.
RECORDABLE_SOURCES = [
    ConsentRecord.Source.VERBAL,
    ConsentRecord.Source.WEB_FORM,
    ConsentRecord.Source.WRITTEN,
    ConsentRecord.Source.IMPORTED,
    ConsentRecord.Source.ENTERED,
]
IMPORT_MAX_ROWS = 10_000


def check_whatsapp_consent(*, contact: Contact) -> None:
    if contact.whatsapp_consent_at is None:
        raise SendRefused(
            "The customer's WhatsApp opt-in is not recorded, so no template can be sent. "
            "Record their consent in the contact panel first.",
            code=NO_CONSENT,
        )


def whatsapp_consent_set(
    *,
    contact: Contact,
    granted: bool,
    source: str,
    actor: User | None,
    detail: str = "",
) -> bool:
    """Record that ``contact`` gave (``granted``) or withdrew WhatsApp consent.

    Returns False when it was already so. The change is kept in the consent history and
    shown in each of the contact's WhatsApp conversations. Raises SendRefused (code
    ``opted_out``) for an opt-in while the customer is opted out: until they text START,
    nothing may be sent to them, templates included, so no opt-in is taken for them.
    """
    if (contact.whatsapp_consent_at is not None) == granted:
        return False
    if granted and contact.sms_opted_out_at is not None:
        raise SendRefused(OPTED_OUT_REASON, code=OPTED_OUT)
    now = timezone.now()
    with transaction.atomic():
        contact.whatsapp_consent_at = now if granted else None
        contact.save(update_fields=["whatsapp_consent_at"])
        kind = ConsentRecord.Kind.OPT_IN if granted else ConsentRecord.Kind.OPT_OUT
        ConsentRecord.objects.create(
            contact=contact,
            channel=Channel.WHATSAPP,
            kind=kind,
            source=source,
            detail=detail[:200],
            actor=actor,
        )
        whatsapp_consent_events(
            contact=contact, granted=granted, source=source, actor=actor, detail=detail, at=now
        )
    return True


def whatsapp_consent_events(
    *, contact: Contact, granted: bool, source: str, actor: User | None, detail: str, at
) -> None:
    """Show a change of ``contact``'s WhatsApp consent in each of their WhatsApp threads."""
    label = ConsentRecord.Source(source).label.lower() if source else ""
    body = f"opt-in recorded ({label})" if granted else f"opt-in withdrawn ({label})"
    if detail:
        body += f": {detail[:200]}"
    conversations = Conversation.objects.filter(
        contact=contact, sender_id__channel=Channel.WHATSAPP
    )
    ConversationEvent.objects.bulk_create(
        ConversationEvent(
            conversation_id=pk,
            kind=ConversationEvent.Kind.CONSENT,
            actor=actor,
            body=body,
            data={"source": source, "granted": granted},
        )
        for pk in conversations.values_list("pk", flat=True)
    )
    conversations.update(changed_at=at)
    event_record(kind="consent", conversations=list(conversations.values_list("pk", flat=True)))


def whatsapp_consent_history(*, contact: Contact, limit: int = 5) -> list[ConsentRecord]:
    """The changes that decided whether templates may go to ``contact``, newest first: their
    WhatsApp opt-ins and withdrawals, and every opt-out (an opt-out on any channel ends
    WhatsApp consent). START is not among them: it lifts an opt-out, it does not opt in."""
    return list(
        ConsentRecord.objects.filter(
            Q(channel=Channel.WHATSAPP) | Q(kind=ConsentRecord.Kind.OPT_OUT), contact=contact
        )
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )


@dataclass
class ConsentImport:
    recorded: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def whatsapp_consent_import(*, text: str, actor: User, detail: str = "") -> ConsentImport:
    """Record WhatsApp opt-in for every number in a CSV (the first column of each row).

    A header row, blank rows and numbers already opted in are skipped; a number that cannot
    be read, or whose customer opted out, is reported with its line and the others are
    still recorded. New numbers become contacts.
    """
    result = ConsentImport()
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) > IMPORT_MAX_ROWS:
        result.errors.append(f"The file has {len(rows)} rows; import {IMPORT_MAX_ROWS} at most.")
        return result
    for line, row in enumerate(rows, start=1):
        raw = (row[0] if row else "").strip()
        if not raw or (line == 1 and not any(ch.isdigit() for ch in raw)):
            continue
        try:
            phone = normalise_phone(raw)
        except InvalidPhoneNumber as exc:
            result.errors.append(f"Line {line}: {exc}")
            continue
        contact, _ = contact_for_number(phone)
        try:
            changed = whatsapp_consent_set(
                contact=contact,
                granted=True,
                source=ConsentRecord.Source.IMPORTED,
                actor=actor,
                detail=detail,
            )
        except SendRefused:
            result.errors.append(
                f"Line {line}: {phone} opted out; an opt-in can be recorded once they text START."
            )
            continue
        if changed:
            result.recorded += 1
        else:
            result.unchanged += 1
    return result

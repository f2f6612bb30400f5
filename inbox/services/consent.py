"""Opt-out, opt-in and HELP keywords from customers (F-CP1), for every channel.

Called from ``message_receive`` for each new customer message, so the rule holds whether the
message came through a Twilio webhook or the simulator's customer phone.
"""

import string
from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from ..bulk_insert import insert_rows
from ..happenings import Happening, announce
from ..live_events import event_record
from ..models import (
    AutoKind,
    Channel,
    ConsentRecord,
    Contact,
    Conversation,
    ConversationEvent,
    Message,
    MessageDirection,
    Organisation,
)
from ..models.people import User
from .sending import message_send_automatic
from .whatsapp_consent import whatsapp_consent_events

OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

OPT_OUT, OPT_IN, HELP = "opt_out", "opt_in", "help"

K = TypeVar("K")


def keyword_intent(*, body: str, provider_signal: str = "") -> str:
    """What a customer message asks for: opt_out, opt_in, help, or "" for a plain message.

    Like carriers, only a message made of the keyword alone counts ("Stop." yes, "don't stop"
    no). The provider's own signal (Twilio's ``OptOutType``) wins when present.
    """
    signal = provider_signal.strip().upper()
    if signal in {"STOP", "START", "HELP"}:
        return {"STOP": OPT_OUT, "START": OPT_IN, "HELP": HELP}[signal]
    word = body.strip().strip(string.punctuation + " ").upper()
    if word in OPT_OUT_WORDS:
        return OPT_OUT
    if word in OPT_IN_WORDS:
        return OPT_IN
    if word in HELP_WORDS:
        return HELP
    return ""


def contact_consent_change(
    *,
    contact: Contact,
    conversation: Conversation | None,
    opted_out: bool,
    source: str,
    detail: str = "",
    actor: User | None = None,
) -> bool:
    """Record an opt-out (``opted_out``) or opt-in; return False when nothing changed.

    Opt-out is contact-wide: nothing is sent to the customer from any sender ID until they
    opt back in, and it ends their WhatsApp template consent. An opt-in (START) only lifts
    the opt-out: it is an SMS re-subscription, never a WhatsApp opt-in (Meta wants that
    given for WhatsApp, explicitly), so templates need a new one. One change, one
    ConsentRecord: an opt-out on the channel it came by, an opt-in on SMS. The change is
    shown in the conversation (and the end of consent in the contact's WhatsApp threads).
    """
    if (contact.sms_opted_out_at is not None) == opted_out:
        return False
    now = timezone.now()
    with transaction.atomic():
        contact.sms_opted_out_at = now if opted_out else None
        fields = ["sms_opted_out_at"]
        consent_ended = opted_out and contact.whatsapp_consent_at is not None
        if consent_ended:
            contact.whatsapp_consent_at = None
            fields.append("whatsapp_consent_at")
        contact.save(update_fields=fields)
        if opted_out:
            channel = conversation.sender_id.channel if conversation else Channel.SMS
            kind = ConsentRecord.Kind.OPT_OUT
        else:
            channel, kind = Channel.SMS, ConsentRecord.Kind.OPT_IN
        ConsentRecord.objects.create(
            contact=contact,
            channel=channel,
            kind=kind,
            source=source,
            detail=detail[:200],
            actor=actor,
        )
        if consent_ended:
            whatsapp_consent_events(
                contact=contact, granted=False, source=source, actor=actor, detail=detail, at=now
            )
        if conversation is not None:
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.OPTED_OUT
                if opted_out
                else ConversationEvent.Kind.OPTED_IN,
                actor=actor,
                body=(
                    f"The customer opted out (they sent {detail}). Nothing will be sent until "
                    "they opt in."
                    if opted_out
                    else f"The customer opted back in ({detail})."
                ),
                data={"source": source},
            )
            Conversation.objects.filter(pk=conversation.pk).update(changed_at=now)
            event_record(kind="consent", conversations=[conversation])
            if opted_out:
                announce(Happening.OPTED_OUT, conversation_id=conversation.pk)
    return True


def _later_consent_keyword(*, contact: Contact, written_at: datetime) -> bool:
    """Whether a STOP or START the customer wrote after ``written_at`` is already stored."""
    later = Message.objects.filter(
        conversation__contact=contact,
        direction=MessageDirection.INBOUND,
        created_at__gt=written_at,
    ).values_list("body", flat=True)
    return any(keyword_intent(body=body) in (OPT_OUT, OPT_IN) for body in later)


def inbound_keywords_apply(
    *,
    conversation: Conversation,
    body: str,
    provider_signal: str = "",
    written_at: datetime | None = None,
) -> str:
    """Act on a keyword in a new customer message; return the intent that was applied.

    HELP is answered with the organisation's help text through the normal send path, even
    while the customer is opted out, unless the provider signalled it (Twilio's Advanced
    Opt-Out has then answered already). An opt-out or opt-in stored after a later one the
    customer wrote (``written_at`` is when they wrote this one) is superseded: the
    customer's last word holds.
    """
    intent = keyword_intent(body=body, provider_signal=provider_signal)
    contact = conversation.contact
    if (
        intent in (OPT_OUT, OPT_IN)
        and written_at is not None
        and _later_consent_keyword(contact=contact, written_at=written_at)
    ):
        return ""
    source = ConsentRecord.Source.PROVIDER if provider_signal else ConsentRecord.Source.KEYWORD
    # The word the customer wrote (UNSUBSCRIBE, QUIT…), which the agent is shown later;
    # the provider's signal only when the message itself holds no text.
    detail = _keyword_of(body) or provider_signal.upper()
    if intent in (OPT_OUT, OPT_IN):
        contact_consent_change(
            contact=contact,
            conversation=conversation,
            opted_out=intent == OPT_OUT,
            source=source,
            detail=detail,
        )
    elif intent == HELP and not provider_signal:
        # Answered even while the customer is opted out: carriers expect HELP to get an
        # answer always (``message_send_automatic`` lets this one reply through).
        message_send_automatic(
            conversation=conversation, body=Organisation.load().help_reply, kind=AutoKind.HELP
        )
    return intent


def imported_consent_changes(
    answers: Iterable[tuple[K, datetime | None, bool | None]],
) -> dict[K, bool]:
    """Which imported consent answers change a contact's state, and to what (opted out or
    not), by key. ``answers`` holds (key, the contact's current opt-out time, or None for a
    new contact, the answer: opted out, opted in, or None for none). The rule of
    ``contact_consent_change``, in bulk: only a change of state counts."""
    return {
        key: opted_out
        for key, opted_out_at, opted_out in answers
        if opted_out is not None and (opted_out_at is not None) != opted_out
    }


def imported_consent_record(
    *, changes: dict[int, bool], actor: User | None, detail: str, at: datetime
) -> None:
    """Record imported consent changes (contact id → opted out) with source "imported".

    The caller writes each contact's ``sms_opted_out_at`` (``at`` for an opt-out, None for
    an opt-in; opt-out is contact-wide) with the rest of the contact, in the same
    transaction, so that a contact is written once."""
    insert_rows(
        ConsentRecord,
        ("contact", "channel", "kind", "source", "detail", "actor", "at"),
        [
            (
                contact_id,
                "sms",
                ConsentRecord.Kind.OPT_OUT if opted_out else ConsentRecord.Kind.OPT_IN,
                ConsentRecord.Source.IMPORTED,
                detail[:200],
                actor.pk if actor else None,
                at,
            )
            for contact_id, opted_out in changes.items()
        ],
    )


def _keyword_of(body: str) -> str:
    return body.strip().strip(string.punctuation + " ").upper()[:40]

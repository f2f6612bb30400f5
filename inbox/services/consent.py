"""Opt-out, opt-in and HELP keywords from customers (F-CP1), for every channel.

Called from ``message_receive`` for each new customer message, so the rule holds whether the
message came through a Twilio webhook or the simulator's customer phone.
"""

import string
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import (
    AutoKind,
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
from .whatsapp_consent import whatsapp_consent_set

OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

OPT_OUT, OPT_IN, HELP = "opt_out", "opt_in", "help"


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
    opt back in. Every change is kept in ConsentRecord and shown in the conversation.
    """
    if (contact.sms_opted_out_at is not None) == opted_out:
        return False
    now = timezone.now()
    with transaction.atomic():
        contact.sms_opted_out_at = now if opted_out else None
        contact.save(update_fields=["sms_opted_out_at"])
        if opted_out:
            # STOP on any channel also ends WhatsApp template consent: START does not restore it.
            whatsapp_consent_set(
                contact=contact, granted=False, source=source, actor=actor, detail=detail
            )
        channel = conversation.sender_id.channel if conversation else "sms"
        kind = ConsentRecord.Kind.OPT_OUT if opted_out else ConsentRecord.Kind.OPT_IN
        ConsentRecord.objects.create(
            contact=contact, channel=channel, kind=kind, source=source, detail=detail[:200]
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


def contacts_consent_import(
    *, contacts: list[Contact], opted_out: bool, actor: User | None, detail: str = ""
) -> int:
    """Record imported consent for many contacts at once; return how many changed.

    The rule of ``contact_consent_change``, in bulk: only a change of state is recorded
    (source "imported"), and opt-out stays contact-wide. The caller holds the transaction.
    """
    changing = [c for c in contacts if (c.sms_opted_out_at is not None) != opted_out]
    if not changing:
        return 0
    now = timezone.now()
    Contact.objects.filter(pk__in=[c.pk for c in changing]).update(
        sms_opted_out_at=now if opted_out else None
    )
    kind = ConsentRecord.Kind.OPT_OUT if opted_out else ConsentRecord.Kind.OPT_IN
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            contact=c,
            channel="sms",
            kind=kind,
            source=ConsentRecord.Source.IMPORTED,
            detail=detail[:200],
            actor=actor,
        )
        for c in changing
    )
    for c in changing:
        c.sms_opted_out_at = now if opted_out else None
    return len(changing)


def _keyword_of(body: str) -> str:
    return body.strip().strip(string.punctuation + " ").upper()[:40]

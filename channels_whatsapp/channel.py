"""WhatsApp's rules (F-CH2, F-CP3), registered with the inbox by the app's ``ready``.

The customer-care window opens with each customer message and lasts 24 hours from the
latest one. Inside it anything may be sent; outside it only a registered template (Twilio's
Content API, ``content.py``). Read receipts come back as "read".
"""

from datetime import datetime, timedelta

from django.utils import timezone

from inbox.channels import PhoneNumberRules
from inbox.models import Channel, IdentityKind
from inbox.pure.media_types import ACCEPTED


class WhatsAppRules(PhoneNumberRules):
    channel = Channel.WHATSAPP
    short_label = "WA"
    address_label = "WhatsApp"
    identity_kind = IdentityKind.WHATSAPP
    finds_kinds = (IdentityKind.WHATSAPP, IdentityKind.PHONE)
    text_limit = 4096  # Twilio's longest WhatsApp body
    media_types = frozenset(ACCEPTED)
    media_max_bytes = 16 * 1024 * 1024  # WhatsApp's limit for audio and video
    templates = True
    reply_window = timedelta(hours=24)
    receipts = frozenset({"sent", "delivered", "read"})

    def window_closed_reason(self, *, closes_at: datetime | None) -> str:
        if closes_at is None:
            return (
                "The customer has not written on WhatsApp yet, so the 24-hour window is "
                "closed. Send a registered template to open the conversation."
            )
        when = timezone.localtime(closes_at)
        day = "" if when.date() == timezone.localdate() else f"{when.day} {when:%b} "
        return (
            f"The 24-hour window closed at {day}{when:%H:%M}. "
            "Send a registered template to reopen it."
        )

    def held_past_window_reason(self, *, opens_at: str, closes_at: str) -> str:
        return (
            f"Outside business hours this message would wait until {opens_at}, "
            f"but the 24-hour WhatsApp window closes {closes_at}, before it could go: "
            "it would never be delivered. Send a registered template instead (Send a template)."
        )

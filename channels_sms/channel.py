"""SMS/MMS's rules (F-CH1), registered with the inbox by the app's ``ready``: numbers,
segments (GSM-7 160/153, UCS-2 70/67), MMS media, no reply window, no read receipts."""

from inbox.channels import PhoneNumberRules
from inbox.models import Channel, IdentityKind
from inbox.pure.media_types import ACCEPTED
from inbox.pure.segments import count_segments


class SmsRules(PhoneNumberRules):
    channel = Channel.SMS
    short_label = "SMS"
    address_label = "Phone"
    identity_kind = IdentityKind.PHONE
    finds_kinds = (IdentityKind.PHONE, IdentityKind.WHATSAPP)
    text_limit = 1600  # Twilio's longest SMS body (10 segments and more are refused)
    counts_segments = True
    media_types = frozenset(ACCEPTED)
    media_max_bytes = 5 * 1024 * 1024  # Twilio's MMS limit
    receipts = frozenset({"sent", "delivered"})

    def segments(self, body: str) -> int:
        return count_segments(body).segments

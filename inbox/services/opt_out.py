"""What an agent is told about a customer's SMS opt-out (F-CP1): which word, and when.

Read by the send checks (the refusal names the keyword), the contact panel and the compose
box (shown before a send fails). The word is the ``detail`` of the latest opt-out
ConsentRecord, stored by ``services.consent``.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ..models import ConsentRecord, Contact


@dataclass(frozen=True)
class OptOut:
    at: datetime
    keyword: str
    source: str

    @property
    def how(self) -> str:
        """``sent UNSUBSCRIBE`` (or how else the opt-out came: imported, entered…)."""
        if self.source in ("", ConsentRecord.Source.KEYWORD, ConsentRecord.Source.PROVIDER):
            return f"sent {self.keyword}" if self.keyword else "by text"
        return ConsentRecord.Source(self.source).label.lower()

    @property
    def sentence(self) -> str:
        """``The customer opted out (they sent UNSUBSCRIBE on 3 Dec 2026 at 09:10).``"""
        at = timezone.localtime(self.at)
        how = f"they {self.how}" if self.how.startswith("sent ") else self.how
        return f"The customer opted out ({how} on {at.day} {at:%b %Y} at {at:%H:%M})."


def contact_opt_out(*, contact: Contact) -> OptOut | None:
    """``contact``'s current opt-out, or None; no query for a contact who is not opted out."""
    if contact.sms_opted_out_at is None:
        return None
    record = (
        ConsentRecord.objects.filter(contact=contact, kind=ConsentRecord.Kind.OPT_OUT)
        .order_by("-at", "-pk")
        .only("detail", "source", "at")
        .first()
    )
    if record is None:
        return OptOut(at=contact.sms_opted_out_at, keyword="", source="")
    return OptOut(at=contact.sms_opted_out_at, keyword=record.detail, source=record.source)

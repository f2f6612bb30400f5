"""The contact's newest activity, which orders the contacts list (F-CT1)."""

from datetime import datetime

from ..models import Contact


def contact_touch(*, contact_id: int, at: datetime) -> None:
    """Move the contact's ``last_activity_at`` forward to ``at`` (never back: messages stored
    late keep the newest time)."""
    Contact.objects.filter(pk=contact_id, last_activity_at__lt=at).update(last_activity_at=at)

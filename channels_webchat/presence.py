"""Whether a visitor is on the website now: the widget asks for news every few seconds
while its page is open, and each ask is seen (``visitor_seen``)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Visitor


def online_since() -> timedelta:
    return timedelta(seconds=settings.WEBCHAT_ONLINE_SECONDS)


def is_online(visitor: Visitor) -> bool:
    return timezone.now() - visitor.last_seen_at < online_since()


def visitor_of(address: str) -> Visitor | None:
    return Visitor.objects.filter(address=address).first()

"""Whether a visitor is on the website now: the widget asks for news every few seconds
while its page is open, and each ask is seen (``visitor_seen``)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Visitor


def is_online(visitor: Visitor) -> bool:
    since = timezone.now() - visitor.last_seen_at
    return since < timedelta(seconds=settings.WEBCHAT_ONLINE_SECONDS)


def visitor_of(address: str) -> Visitor | None:
    return Visitor.objects.filter(address=address).first()

"""The organisation's webhook subscriptions: every event they name is POSTed to them, from
the worker, through the same signed, logged, public-only delivery as the webhook action."""

from django.core.cache import caches
from django.db import transaction

from inbox.models import Conversation, User

from .models import WebhookSubscription
from .webhooks import webhook_queue

SUBSCRIBED_KEY = "automation:subscribed-events"


class SubscriptionRefused(Exception):
    """A subscription change the person may not make."""


def subscribed_events() -> frozenset[str]:
    """The events some active subscription names (cached until one changes)."""
    cache = caches["shared"]
    events = cache.get(SUBSCRIBED_KEY)
    if events is None:
        # A sorted list: the shared cache on Redis stores JSON.
        events = sorted(
            {
                event
                for events in WebhookSubscription.objects.filter(is_active=True).values_list(
                    "events", flat=True
                )
                for event in events
            }
        )
        cache.set(SUBSCRIBED_KEY, events, timeout=None)
    return frozenset(events)


def _changed() -> None:
    caches["shared"].delete(SUBSCRIBED_KEY)


def subscription_add(*, by: User, url: str, events: list[str]) -> WebhookSubscription:
    if not by.is_admin:
        raise SubscriptionRefused("Only admins manage webhook subscriptions.")
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(url=url, events=events)
        transaction.on_commit(_changed)
    return subscription


def subscription_delete(*, by: User, subscription: WebhookSubscription) -> None:
    if not by.is_admin:
        raise SubscriptionRefused("Only admins manage webhook subscriptions.")
    subscription.delete()
    _changed()


def subscribers_notify(*, event: str, conversation_id: int) -> int:
    """Queue a delivery of ``event`` to each active subscription naming it; returns how many."""
    conversation = (
        Conversation.objects.select_related("sender_id", "owner").filter(pk=conversation_id).first()
    )
    if conversation is None:
        return 0
    urls = [
        s.url
        for s in WebhookSubscription.objects.filter(is_active=True)
        if event in (s.events or [])
    ]
    for url in urls:
        webhook_queue(
            conversation=conversation, url=url, source="Subscription", event=event, rule_id=None
        )
    return len(urls)

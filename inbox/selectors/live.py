"""What changed since a page was drawn: the live answer's version and its news."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.urls import reverse

from ..access import visible_conversations
from ..models import Conversation, ConversationEvent, Notification, User

CHANGED_SLACK = timedelta(minutes=5)


def latest_change(*, user: User, since: datetime) -> datetime | None:
    """The newest ``changed_at`` after ``since`` among the conversations ``user`` can see.

    One indexed query; None (the common, idle answer) when nothing changed.
    """
    return (
        visible_conversations(user)
        .filter(changed_at__gt=since)
        .aggregate(latest=Max("changed_at"))["latest"]
    )


@dataclass(frozen=True)
class News:
    """Something worth a desktop notification: a customer wrote, I was assigned, or
    mentioned."""

    key: str
    title: str
    body: str
    url: str


def news_since(*, user: User, since: datetime, limit: int = 5) -> list[News]:
    """New customer messages in my conversations, conversations assigned to me, mine that
    someone else took over, and @mentions of me in private notes.

    A message or an assignment stamps its conversation's ``changed_at``: both start from the
    few conversations changed since (their index), never from every conversation of a busy
    agent's (66,000 at ten million messages) or every assignment ever made."""
    news = []
    # A little before ``since``: a reply that takes a conversation over stamps it with the
    # time the send began, which may come before the take-over's event.
    changed_after = since - CHANGED_SLACK
    for c in (
        Conversation.objects.filter(
            changed_at__gt=changed_after, owner=user, last_inbound_at__gt=since
        )
        .select_related("contact")
        .order_by("-last_inbound_at")[:limit]
    ):
        news.append(
            News(
                key=f"m-{c.public_id}-{c.last_inbound_at.timestamp():.6f}",
                title=f"New message from {c.contact.shown_name}",
                body=c.last_message_preview,
                url=reverse("inbox:conversation", args=[c.public_id]),
            )
        )
    for event in (
        ConversationEvent.objects.filter(
            Q(conversation__owner=user) | Q(data__from=user.pk),
            conversation__changed_at__gt=changed_after,
            kind=ConversationEvent.Kind.ASSIGNED,
            created_at__gt=since,
        )
        .exclude(actor=user)
        .select_related("conversation__contact", "actor")
        .order_by("-created_at")[:limit]
    ):
        c = event.conversation
        # Mine now, or taken from me (a teammate's reply moved it, or it was reassigned).
        mine = c.owner_id == user.pk
        news.append(
            News(
                key=f"a-{event.pk}",
                title=f"Assigned to you: {c.contact.shown_name}"
                if mine
                else f"{event.actor or 'Someone'} took over: {c.contact.shown_name}",
                body=c.last_message_preview,
                url=reverse("inbox:conversation", args=[c.public_id]),
            )
        )
    for notification in (
        Notification.objects.filter(
            user=user,
            kind=Notification.Kind.MENTIONED,
            created_at__gt=since,
            read_at__isnull=True,
        )
        .select_related("conversation__contact", "actor")
        .order_by("-created_at")[:limit]
    ):
        c = notification.conversation
        news.append(
            News(
                key=f"n-{notification.pk}",
                title=f"{notification.actor or 'A teammate'} mentioned you: {c.contact.shown_name}",
                body="In a private note",
                url=reverse("inbox:conversation", args=[c.public_id]),
            )
        )
    return news

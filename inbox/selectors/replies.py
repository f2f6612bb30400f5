"""Reads for saved replies (F-TP1, F-TP3): the compose picker and the replies page."""

from django.db.models import Q

from ..models import SavedReply, User


def _usable(*, user: User, channel: str):
    """Saved replies ``user`` may use on ``channel``: shared ones and their own."""
    return SavedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user)).filter(
        Q(channel="") | Q(channel=channel)
    )


def replies_for(*, user: User, channel: str, text: str = "", limit: int = 20) -> list[SavedReply]:
    """Saved replies ``user`` may use on ``channel``, by title or body."""
    qs = _usable(user=user, channel=channel)
    text = text.strip()[:100]
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(body__icontains=text))
    return list(qs.order_by("title", "id")[:limit])


def reply_usable(*, user: User, channel: str, public_id: str) -> SavedReply | None:
    """The saved reply ``public_id`` if ``user`` may use it on ``channel``."""
    return _usable(user=user, channel=channel).filter(public_id=public_id).first()


def replies_managed(*, user: User) -> list[SavedReply]:
    """The replies page: shared ones (which admins may edit) and the user's own."""
    return list(
        SavedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user)).order_by(
            "owner_id", "title", "id"
        )
    )

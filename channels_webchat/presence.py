"""Whether a visitor is on the website now: the widget asks for news every few seconds
while its page is open, and each ask is seen (``visitor_seen``).

Typing, both ways, is the inbox's presence (``inbox.presence``): a typing visitor is one
more entry of their conversation's, under ``-visitor.pk`` (never an agent's id) and shown
only while typing, so the agents' windows say "… is typing" as they do for a teammate, told
by the same push; the widget learns who of the agents is typing a reply in its next ask
(a private note is never reported as typing by the window)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from inbox import presence
from inbox.live_events import signal
from inbox.models import Conversation, User

from .models import Visitor


def is_online(visitor: Visitor) -> bool:
    since = timezone.now() - visitor.last_seen_at
    return since < timedelta(seconds=settings.WEBCHAT_ONLINE_SECONDS)


def visitor_of(address: str) -> Visitor | None:
    return Visitor.objects.filter(address=address).first()


def _presence_id(visitor: Visitor) -> int:
    return -visitor.pk


def visitor_typing(*, visitor: Visitor, conversation: Conversation, typing: bool) -> None:
    """The visitor is typing in the widget (shown to agents for ``TYPING_SECONDS`` after
    the last report), or stopped (sent their message)."""
    if typing:
        changed = presence.presence_beat(
            conversation_id=conversation.pk,
            user_id=_presence_id(visitor),
            name=f"{visitor.name} (visitor)" if visitor.name else "The visitor",
            typing=True,
            typing_only=True,
        )
    else:
        changed = any(v.user_id == _presence_id(visitor) for v in _everyone(conversation.pk))
        presence.presence_leave(conversation_id=conversation.pk, user_id=_presence_id(visitor))
    if changed:
        signal(kind="presence", conversation=conversation)


def _everyone(conversation_id: int) -> list[presence.Viewer]:
    return presence.viewers(conversation_id=conversation_id, besides=0)


def agents_typing(*, conversation_id: int) -> str:
    """ "Alice is typing…": who of the agents is typing a reply to the visitor now, by
    first name ("Someone" without one; a login is not for the public); "" when nobody."""
    ids = [v.user_id for v in _everyone(conversation_id) if v.typing and v.user_id > 0]
    if not ids:
        return ""
    first_names = dict(User.objects.filter(pk__in=ids).values_list("pk", "first_name"))
    names = sorted({first_names.get(pk) or "Someone" for pk in ids})
    return presence.describe([presence.Viewer(0, name, True) for name in names])

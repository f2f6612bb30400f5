"""Whether a visitor is on the website now: their widget holds its live stream while its
page is open (each web process marks the visitors it holds in the shared cache every few
seconds, ``stream.py``), or, without one, asks for news every few seconds (each ask is seen,
``visitor_seen``). A stream's end is seen too: "last active" is when it closed.

Typing, both ways, is the inbox's presence (``inbox.presence``): a typing visitor is one
more entry of their conversation's, under ``-visitor.pk`` (never an agent's id) and shown
only while typing, so the agents' windows say "… is typing" as they do for a teammate, told
by the same push; the widget's stream wakes it when an agent starts or stops typing a reply
(the visitor's own typing is marked ``by`` them: it does not wake their stream), and its state
says who, by first name (a private note is never reported as typing by the window)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from inbox import presence
from inbox.live_events import signal
from inbox.models import Conversation, User

from .models import Visitor

log = logging.getLogger(__name__)


def held_key(address: str) -> str:
    """The shared cache's mark of a visitor whose stream a web process holds."""
    return f"webchat:held:{address}"


def held_mark(addresses: list[str]) -> None:
    """These visitors' streams are held: online for ``WEBCHAT_ONLINE_SECONDS`` more (one
    write for them all)."""
    try:
        caches["shared"].set_many(
            {held_key(a): 1 for a in addresses}, timeout=settings.WEBCHAT_ONLINE_SECONDS
        )
    except Exception as error:  # Redis down: their "last active" says when they came
        log.warning("web-chat streams not marked online: %s", error)


def held_unmark(address: str) -> None:
    """The visitor's last stream here closed: no longer held."""
    try:
        caches["shared"].delete(held_key(address))
    except Exception as error:  # Redis down: the mark ends with its time
        log.warning("web-chat stream's end not marked: %s", error)


def is_online(visitor: Visitor) -> bool:
    since = timezone.now() - visitor.last_seen_at
    if since < timedelta(seconds=settings.WEBCHAT_ONLINE_SECONDS):
        return True
    try:
        return bool(caches["shared"].get(held_key(visitor.address)))
    except Exception as error:
        log.warning("web-chat online marks unavailable: %s", error)
        return False


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
        signal(kind="presence", conversation=conversation, data={"by": "visitor"})


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

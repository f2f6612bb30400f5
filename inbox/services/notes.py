"""Private notes (F-CV9) and the @mentions in them (F-CO2).

A note is written in the thread for the team, never sent to the customer. ``@username`` in
a note notifies that teammate (live, like an assignment) and lists the conversation in
their Mentions view until they open it. A mention of someone who cannot open the
conversation is refused with the reason, and nothing is saved.
"""

import re
from collections.abc import Collection, Iterator

from django.db import transaction
from django.utils import timezone

from .. import window_facts
from ..access import viewers_of
from ..live_events import event_record
from ..models import Conversation, ConversationEvent, Notification, User
from .read_state import marks_stamp

NOTE_MAX_LENGTH = 5000
# ``@`` not preceded by a word character (so e-mail addresses are not mentions).
MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


class NoteRefused(Exception):
    """An empty or oversized note, or a mention that cannot be made; the message is for the
    agent."""


def _mentioned_name(match: re.Match) -> str:
    # A full stop or dash ending a sentence is not part of the name.
    return match.group(1).rstrip(".-+")


def mentioned_usernames(body: str) -> list[str]:
    """The usernames ``@``-mentioned in ``body``, in order, once each (a full stop or
    dash ending a sentence is not part of the name)."""
    names = (_mentioned_name(m) for m in MENTION.finditer(body))
    return list(dict.fromkeys(name for name in names if name))


def mention_pieces(text: str, usernames: Collection[str]) -> Iterator[tuple[str, bool]]:
    """``text`` in pieces, each with whether it is an ``@`` mention of one of ``usernames``
    (the teammates the note really mentioned), read as ``mentioned_usernames`` reads it."""
    end = 0
    for match in MENTION.finditer(text):
        name = _mentioned_name(match)
        if name not in usernames:
            continue
        yield text[end : match.start()], False
        yield f"@{name}", True
        end = match.start() + 1 + len(name)
    yield text[end:], False


def _mentioned(*, conversation: Conversation, body: str) -> list[User]:
    names = mentioned_usernames(body)
    if not names:
        return []
    found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    unknown = [name for name in names if name not in found]
    if unknown:
        raise NoteRefused(f"No teammate is called @{unknown[0]}; the note was not saved.")
    allowed = set(viewers_of(conversation).filter(pk__in=[u.pk for u in found.values()]))
    for name in names:
        if found[name] not in allowed:
            raise NoteRefused(
                f"@{name} cannot open this conversation (it is not on a sender ID, team or "
                "inbox of theirs), so they cannot be mentioned; the note was not saved."
            )
    return [found[name] for name in names]


def note_add(*, conversation: Conversation, author: User, body: str) -> ConversationEvent:
    """Add a private note by ``author``; the caller has checked they may see the thread.

    Notes are events, not messages: no channel ever sees them.
    """
    body = (body or "").strip()
    if not body:
        raise NoteRefused("Write the note before saving it.")
    if len(body) > NOTE_MAX_LENGTH:
        raise NoteRefused(f"The note is {len(body)} characters; the limit is {NOTE_MAX_LENGTH}.")
    mentioned = _mentioned(conversation=conversation, body=body)
    with transaction.atomic():
        note = ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.NOTE,
            actor=author,
            body=body,
            data={"mentions": [u.username for u in mentioned]} if mentioned else {},
        )
        Notification.objects.bulk_create(
            Notification(
                user=user,
                kind=Notification.Kind.MENTIONED,
                conversation=conversation,
                actor=author,
            )
            for user in mentioned
            if user.pk != author.pk
        )
        Conversation.objects.filter(pk=conversation.pk).update(changed_at=timezone.now())
        event_record(kind="note", conversations=[conversation])
    return note


def mentions_seen(*, user: User, conversation: Conversation) -> None:
    """``user`` opened ``conversation``: it leaves their Mentions view (one update). When it
    was there, their read marks are stamped too, so the navigation counts its Mentions
    again. Nothing to update when the conversation's window facts say so (no query)."""
    facts = window_facts.known(conversation, user)
    if facts is not None and not facts.mentions_unseen:
        return
    seen = Notification.objects.filter(
        user=user,
        kind=Notification.Kind.MENTIONED,
        conversation=conversation,
        read_at__isnull=True,
    ).update(read_at=timezone.now())
    if seen:
        marks_stamp(user, conversation)
    window_facts.update(conversation, user, mentions_unseen=False)

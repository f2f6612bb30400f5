"""Private notes (F-CV9): written in the thread for the team, never sent to the customer."""

from django.db import transaction
from django.utils import timezone

from ..models import Conversation, ConversationEvent, User

NOTE_MAX_LENGTH = 5000


class NoteRefused(Exception):
    """An empty or oversized note; the message is for the agent."""


def note_add(*, conversation: Conversation, author: User, body: str) -> ConversationEvent:
    """Add a private note by ``author``; the caller has checked they may see the thread.

    Notes are events, not messages: no channel ever sees them.
    """
    body = (body or "").strip()
    if not body:
        raise NoteRefused("Write the note before saving it.")
    if len(body) > NOTE_MAX_LENGTH:
        raise NoteRefused(f"The note is {len(body)} characters; the limit is {NOTE_MAX_LENGTH}.")
    with transaction.atomic():
        note = ConversationEvent.objects.create(
            conversation=conversation, kind=ConversationEvent.Kind.NOTE, actor=author, body=body
        )
        Conversation.objects.filter(pk=conversation.pk).update(changed_at=timezone.now())
    return note

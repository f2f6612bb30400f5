"""The inbox's side of a bot that answers first (F-AU5): the bot is the automation app's,
the state of the conversation is the inbox's.

A customer message on a line whose bot is on gives a new or closed conversation to the bot
(``inbound.bot_takes``). While the bot has it (``Conversation.with_bot``) nobody waits for a
person and no list counts it unread; the bot's replies are automatic messages
(``sending.message_send_automatic``, kind ``bot``), checked like every send. It ends when
the bot hands over (here), when a person replies (``sending.conversation_record_outbound``)
or when the conversation closes.
"""

from django.db import transaction
from django.utils import timezone

from ..live_events import event_record
from ..models import Conversation, ConversationEvent
from .service_levels import waiting_due_fields

NOTE_MAX_LENGTH = 4000


def conversation_bot_hand_over(*, conversation_id: int, note: str, bot: str) -> bool:
    """The bot ``bot`` (its name) gives the conversation to people, with a private ``note``
    of what it collected; False when it no longer had it.

    The customer waits for a person from now (the lists count it waiting, rep needed when
    nobody owns it) and it is unread for whoever has not read its latest customer message.
    Locks the conversation row: a customer message arriving meanwhile waits, then finds it
    with people.
    """
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("sender_id")
            .filter(pk=conversation_id, with_bot=True)
            .first()
        )
        if conversation is None:
            return False
        now = timezone.now()
        fields = {
            "with_bot": False,
            "changed_at": now,
            "waiting_since": now,
            **waiting_due_fields(sender=conversation.sender_id, since=now),
        }
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.NOTE,
            body=note.strip()[:NOTE_MAX_LENGTH],
            data={"bot": bot},
        )
        # Lists, badges and notifications see it as a customer waiting, which it now is.
        event_record(kind="message_in", conversations=[conversation])
    return True

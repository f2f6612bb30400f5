"""The automation app listens to the inbox's happenings and queues the rules' run and the
bot's answer."""

import uuid

from django.dispatch import receiver

from inbox.enqueue import enqueue
from inbox.happenings import Happening, conversation_happened

from .bot import bots_on
from .services import events_with_rules
from .subscriptions import subscribed_events
from .tasks import notify_subscribers, run_bot, run_rules


@receiver(conversation_happened)
def queue_rules(*, happening, conversation_id, message_id, cause, **_) -> None:
    """Queue the rules of ``happening`` for the worker, when any rule listens to it."""
    if happening not in events_with_rules():
        return
    enqueue(
        run_rules,
        happening,
        conversation_id,
        message_id,
        list(cause),
        uuid.uuid4().hex,
        later="the event is not automated",
    )


@receiver(conversation_happened)
def queue_subscribers(*, happening, conversation_id, **_) -> None:
    """Queue the webhook subscriptions' deliveries of ``happening``, when any names it."""
    if happening in subscribed_events():
        enqueue(notify_subscribers, happening, conversation_id)


@receiver(conversation_happened)
def queue_bot(*, happening, conversation_id, message_id, **_) -> None:
    """Queue the bot's answer to a customer message, when any bot is on (the task finds
    whether the bot has this conversation)."""
    if happening == Happening.MESSAGE_RECEIVED and message_id and bots_on():
        enqueue(run_bot, conversation_id, message_id, later="the bot does not answer it")

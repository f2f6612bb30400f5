"""Celery tasks of automation: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.utils import timezone

from .bot import bot_answer
from .services import rules_run, unanswered_sweep
from .subscriptions import subscribers_notify
from .webhooks import MAX_ATTEMPTS, webhook_deliver


@shared_task(acks_late=True)
def run_rules(
    event: str, conversation_id: int, message_id: int | None, cause: list[int], event_key: str
) -> list[int]:
    return rules_run(
        event=event,
        conversation_id=conversation_id,
        message_id=message_id,
        cause=tuple(cause),
        event_key=event_key,
    )


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def deliver_webhook(self, delivery_id: int) -> None:
    # Back-off: 30 s, 1, 2, 4, 8 minutes.
    if webhook_deliver(delivery_id=delivery_id).retry:
        raise self.retry(countdown=30 * 2**self.request.retries)


@shared_task
def sweep_unanswered() -> int:
    return unanswered_sweep(now=timezone.now())


@shared_task(acks_late=True)
def notify_subscribers(event: str, conversation_id: int) -> int:
    return subscribers_notify(event=event, conversation_id=conversation_id)


@shared_task(acks_late=True)
def run_bot(conversation_id: int, message_id: int) -> str:
    return bot_answer(conversation_id=conversation_id, message_id=message_id)

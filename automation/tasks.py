"""Celery tasks of automation: thin wrappers that take ids and call one service."""

from celery import shared_task

from .services import rules_run


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

"""Celery tasks of the project itself (not of an app): thin wrappers around one service."""

from celery import shared_task

from .password_reset import password_reset_mail_send


@shared_task(acks_late=True)
def send_password_reset_mail(email: str) -> None:
    password_reset_mail_send(email=email)

"""Admins change the business hours, holidays and auto-replies (F-CP4, F-AU2).

Every change moves the messages already held to their new opening time, so a message held
until Monday goes at once when an admin opens the hours now.
"""

from datetime import date

from django.db import transaction

from ..models import Holiday, Organisation, SenderId, User
from .held_messages import held_messages_reschedule


class HoursRefused(Exception):
    """Only admins change business hours."""


def _check_admin(user: User) -> None:
    if not user.is_admin:
        raise HoursRefused("Only admins change business hours.")


def organisation_hours_update(
    *,
    by: User,
    enabled: bool,
    time_zone: str,
    week: dict,
    out_of_hours_reply: str,
    greeting: str,
) -> Organisation:
    """Set the organisation's hours (``week`` as stored JSON) and auto-replies."""
    _check_admin(by)
    with transaction.atomic():
        org = Organisation.load()
        org.hours_enabled, org.time_zone, org.opening_hours = enabled, time_zone, week
        org.out_of_hours_reply, org.greeting = out_of_hours_reply, greeting
        org.save()
        held_messages_reschedule()
    return org


def sender_hours_update(
    *,
    by: User,
    sender: SenderId,
    hours: str,
    time_zone: str,
    week: dict,
    auto_replies: str,
    out_of_hours_reply: str,
    greeting: str,
) -> SenderId:
    """Set a sender ID's override of the hours (``HoursMode``) and auto-replies."""
    _check_admin(by)
    with transaction.atomic():
        sender.hours, sender.hours_time_zone, sender.opening_hours = hours, time_zone, week
        sender.auto_replies = auto_replies
        sender.out_of_hours_reply, sender.greeting = out_of_hours_reply, greeting
        sender.save(
            update_fields=[
                "hours",
                "hours_time_zone",
                "opening_hours",
                "auto_replies",
                "out_of_hours_reply",
                "greeting",
            ]
        )
        held_messages_reschedule()
    return sender


def holiday_add(*, by: User, day: date, name: str, recurring: bool) -> Holiday:
    _check_admin(by)
    with transaction.atomic():
        holiday = Holiday.objects.create(date=day, name=name, recurring=recurring)
        held_messages_reschedule()
    return holiday


def holiday_remove(*, by: User, holiday: Holiday) -> None:
    _check_admin(by)
    with transaction.atomic():
        holiday.delete()
        held_messages_reschedule()

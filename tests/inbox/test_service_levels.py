"""Service levels over time (F-CV5): waiting conversations redraw as they cross a threshold."""

from datetime import timedelta

from django.utils import timezone

from inbox.models import Conversation
from inbox.services.service_levels import service_levels_tick
from inbox.tasks import service_level_tick

from ..conftest import receive


def waited(conversation, **delta):
    at = timezone.now() - timedelta(**delta)
    Conversation.objects.filter(pk=conversation.pk).update(waiting_since=at)
    conversation.refresh_from_db()
    return conversation


def test_tick_marks_conversations_that_just_crossed_a_threshold(alice_line):
    crossing = waited(receive(alice_line, "+12025550123").conversation, minutes=3, seconds=10)
    long_overdue = waited(receive(alice_line, "+12025550178").conversation, minutes=30)
    before = Conversation.objects.get(pk=long_overdue.pk).changed_at

    assert service_levels_tick(period_seconds=30) == 1

    assert Conversation.objects.get(pk=crossing.pk).changed_at > crossing.changed_at
    assert Conversation.objects.get(pk=long_overdue.pk).changed_at == before
    assert service_level_tick.apply().get() == 1

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from inbox.phone import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    return format_phone(value) if value else ""


@register.filter
def ago(value) -> str:
    """Short relative time: 'now', '5 min', '3 h', then the date."""
    if not value:
        return ""
    seconds = (timezone.now() - value).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    if seconds < 7 * 86400:
        return timezone.localtime(value).strftime("%a")
    return timezone.localtime(value).strftime("%d %b")


@register.filter
def since(value) -> str:
    return timesince(value) if value else ""


@register.filter
def is_message(item) -> bool:
    return hasattr(item, "direction")

"""HTML built in Python for what pages draw most often: list rows, the navigation's sender
IDs and the thread (the template engine costs a fraction of a millisecond per item)."""

from html import escape

from django.urls import reverse

from .models import Channel


def fill(template: str, markup: dict[str, str] | None = None, /, **text: object) -> str:
    """``template`` with each ``{name}`` of ``text`` filled with escaped text, and each of
    ``markup`` with HTML the caller built from escaped parts."""
    return template.format_map({k: escape(str(v)) for k, v in text.items()} | (markup or {}))


def url_stem(name: str, *args: str) -> str:
    """The URL of ``name`` up to its last argument, which each item appends (its id and
    ``/``): one ``reverse`` for a whole list instead of one per item."""
    return reverse(name, args=[*args, "-"])[:-2]


def channel_short(channel: str) -> str:
    return "WA" if channel == Channel.WHATSAPP else "SMS"

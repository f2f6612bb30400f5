"""HTML built in Python for what pages draw most often, where the template engine's fraction
of a millisecond per item adds up: list rows and the navigation's sender IDs (``rows``), the
conversation's thread (``thread``), and the helpers both use (here). Every other piece of
HTML is a template."""

import re
from collections.abc import Callable
from html import escape

from django.urls import reverse

from ..channels import channel_rules


def fill(template: str, markup: dict[str, str] | None = None, /, **text: object) -> str:
    """``template`` with each ``{name}`` of ``text`` filled with escaped text, and each of
    ``markup`` with HTML the caller built from escaped parts."""
    return template.format_map({k: escape(str(v)) for k, v in text.items()} | (markup or {}))


def url_stem(name: str, *args: str) -> str:
    """The URL of ``name`` up to its last argument, which each item appends (its id and
    ``/``): one ``reverse`` for a whole list instead of one per item."""
    return reverse(name, args=[*args, "-"])[:-2]


def channel_short(channel: str) -> str:
    return channel_rules(channel).short_label


# Only web addresses become links: nothing but http(s), so no javascript: or data: URL can.
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the address ("see https://x.org/a.").
_TRAILING = ".,;:!?)]}"


def linkify(text: str, plain: Callable[[str], str] = escape) -> str:
    """``text`` as escaped HTML with its line breaks kept and its http(s) addresses as links
    that open in a new tab without giving it the window or the referrer. ``plain`` turns
    the text between addresses into HTML (it must escape it)."""
    parts, end = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        parts.append(plain(text[end : match.start()]))
        parts.append(
            f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>'
        )
        end = match.start() + len(url)
    parts.append(plain(text[end:]))
    return "".join(parts).replace("\r\n", "\n").replace("\n", "<br>")

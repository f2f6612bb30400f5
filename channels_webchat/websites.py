"""Creating and changing a website: its sender ID of the web-chat channel (name, team,
owner) and its widget settings together; the snippet an admin pastes into the site."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from inbox.models import Channel, SenderId, Team, User

from .models import Website

# Replies go out as fast as agents write them: no provider paces a website.
RATE_PER_SECOND = 50
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def clean_origins(text: str) -> str:
    """The allowed origins one a line, each ``scheme://host[:port]``; ValidationError names
    the first that is not one (anything else could widen the frame's policy)."""
    origins = []
    for line in text.splitlines():
        line = line.strip().rstrip("/")
        if not line:
            continue
        parts = urlsplit(line)
        try:
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?", parts.netloc)
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ValidationError(
                f"“{line}” is not an origin: write the scheme, host and port only, such as "
                "https://www.example.com"
            )
        origins.append(line.lower())
    if not origins:
        raise ValidationError("Name at least one origin the chat may be shown on.")
    return "\n".join(dict.fromkeys(origins))


def clean_colour(value: str) -> str:
    if not COLOUR.fullmatch(value):
        raise ValidationError("Write the colour as #rrggbb, such as #2563eb.")
    return value.lower()


@transaction.atomic
def website_save(*, website: Website, name: str, team: Team | None, owner: User | None) -> Website:
    """Save ``website`` with its sender ID (created with it the first time)."""
    if website.sender_id is None:
        website.sender = SenderId.objects.create(
            channel=Channel.WEBCHAT,
            address=f"webchat:{website.key}",
            label=name,
            team=team,
            owner=owner,
            rate_per_second=RATE_PER_SECOND,
        )
    else:
        sender = website.sender
        sender.label, sender.team, sender.owner = name, team, owner
        sender.save(update_fields=["label", "team", "owner"])
    website.save()
    return website


def snippet(website: Website) -> str:
    """The one line to paste into the website's HTML, as text (escape it to show it)."""
    src = settings.PUBLIC_BASE_URL + reverse("channels_webchat:widget")
    return f'<script src="{src}" data-website="{website.key}" async></script>'

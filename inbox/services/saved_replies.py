"""Saved replies (F-TP1): ``{{field}}`` placeholders, checked when saved, merged when picked.

Placeholders: ``{{name}}``, ``{{first_name}}``, ``{{phone}}``, ``{{email}}``, the agent's
``{{agent_name}}``, and any custom field by its key (``{{order_id}}``). Shared replies (no
owner) are managed by admins; anyone manages their own.
"""

import re

from django.db import transaction

from ..models import Contact, CustomField, SavedReply, User
from ..pure.phone import format_phone

# A key starts with a letter: WhatsApp templates number their variables ({{1}}), which are
# not ours to fill.
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
BUILT_IN = ("name", "first_name", "phone", "email", "agent_name")


class ReplyRefused(ValueError):
    """A saved reply that cannot be saved or changed; the message says why, for people,
    and ``field`` names the form field it is about (None: the reply as a whole)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def placeholders_in(body: str) -> list[str]:
    """The placeholder keys of ``body``, in order of appearance, each once."""
    return list(dict.fromkeys(match.lower() for match in PLACEHOLDER.findall(body)))


def unknown_placeholders(body: str) -> list[str]:
    keys = [key for key in placeholders_in(body) if key not in BUILT_IN]
    known = set(CustomField.objects.filter(name__in=keys).values_list("name", flat=True))
    return [key for key in keys if key not in known]


def may_manage(user: User, reply: SavedReply) -> bool:
    return user.is_admin if reply.is_shared else reply.owner_id == user.pk


def saved_reply_save(
    *,
    by: User,
    title: str,
    body: str,
    shared: bool,
    channel: str = "",
    subject: str = "",
    reply: SavedReply | None = None,
) -> SavedReply:
    """Create ``reply`` (or change it): refused for an unknown placeholder (in its text or
    its subject), for a shared reply by a standard user, or for someone else's reply.

    The subject is kept on one line; only an e-mail conversation uses it."""
    if shared and not by.is_admin:
        raise ReplyRefused("Only admins can share a reply with everyone.", field="shared")
    if reply is not None and not may_manage(by, reply):
        raise ReplyRefused("You cannot change this reply.")
    for field, text in (("subject", subject), ("body", body)):
        unknown = unknown_placeholders(text)
        if unknown:
            names = ", ".join("{{" + key + "}}" for key in unknown)
            raise ReplyRefused(
                f"Unknown field {names}: use {', '.join('{{' + k + '}}' for k in BUILT_IN)} "
                "or the key of a custom field.",
                field=field,
            )
    with transaction.atomic():
        reply = reply or SavedReply()
        reply.title = title.strip()
        reply.subject = " ".join(subject.split())
        reply.body = body.strip()
        reply.owner = None if shared else by
        reply.channel = channel
        reply.save()
    return reply


def saved_reply_delete(*, by: User, reply: SavedReply) -> None:
    if not may_manage(by, reply):
        raise ReplyRefused("You cannot delete this reply.")
    reply.delete()


def contact_values(*, contact: Contact, agent: User) -> dict[str, str]:
    """What each placeholder stands for with this contact and agent ("" when unknown).
    The contact's custom field values must be loaded (``contact_with_details``)."""
    name = contact.display_name.strip()
    values = {
        "name": name,
        "first_name": name.split()[0] if name else "",
        "phone": format_phone(contact.phone_e164 or ""),
        "email": contact.email,
        "agent_name": agent.get_full_name() or agent.username,
    }
    for value in contact.field_values.all():
        values[value.field.name] = value.value
    return values


def reply_merge(*, body: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """``body`` with each known value filled in, and the keys that have no value (their
    placeholders are left for the agent to fill before sending)."""
    missing = [key for key in placeholders_in(body) if not values.get(key)]

    def fill(match: re.Match) -> str:
        value = values.get(match.group(1).lower())
        return value if value else match.group(0)

    return PLACEHOLDER.sub(fill, body), missing

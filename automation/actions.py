"""What rules and macros do: each action calls the inbox service a person's click calls,
acting as a user (a rule's admin, the agent running a macro), so it passes the same checks.

Stored as a list of dicts, each with ``do`` and its value: ``assign`` (``user``),
``assign_team`` and ``round_robin`` (``team``), ``add_label`` and ``remove_label``
(``label``), ``status`` ("closed" or "open"), ``snooze`` (``minutes``), ``reply`` (a saved
reply's pk), ``template`` (an approved WhatsApp template's pk, its variables filled from
the contact as the template maps them), ``note`` (``body``; ``@username`` mentions a
teammate), ``webhook`` (``url``).
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from inbox.models import Conversation, SavedReply, SenderId, Team, User, WhatsAppTemplate
from inbox.selectors.window import contact_with_details
from inbox.services.assignment import (
    AssignRefused,
    conversation_transfer,
    conversations_assign,
)
from inbox.services.auto_assign import auto_assign_next_member
from inbox.services.conversation_status import StatusRefused, conversation_set_status
from inbox.services.labels import LabelRefused, conversations_label
from inbox.services.notes import NoteRefused, note_add
from inbox.services.refusals import SendRefused
from inbox.services.saved_replies import contact_values, reply_merge
from inbox.services.sending import message_send
from inbox.services.snooze import SnoozeRefused, conversation_snooze
from inbox.services.whatsapp_templates import (
    template_values_from_contact,
    whatsapp_template_send,
)

from .public_http import Blocked
from .webhooks import webhook_queue

KINDS = {
    "assign": "Assign to a person",
    "assign_team": "Assign to a team",
    "round_robin": "Assign round robin in a team",
    "add_label": "Add a label",
    "remove_label": "Remove a label",
    "status": "Set the status",
    "snooze": "Snooze (minutes)",
    "reply": "Send a saved reply",
    "note": "Add a private note",
    "template": "Send an approved WhatsApp template",
    "webhook": "Call a webhook",
}
REFUSALS = (AssignRefused, LabelRefused, NoteRefused, SendRefused, SnoozeRefused)


class ActionFailed(Exception):
    """An action the inbox refused, or whose target is gone; the message is for people."""


def _user(pk) -> User:
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise ActionFailed("the person to assign to is no longer active")
    return user


def _team(pk) -> Team:
    team = Team.objects.filter(pk=pk).first()
    if team is None:
        raise ActionFailed("the team was removed")
    return team


def _assign(conversation: Conversation, user: User, by: User) -> bool:
    """Give ``conversation`` to ``user`` as ``by`` would by hand; False when they own it."""
    if conversation.owner_id == user.pk:
        return False
    if by.is_admin:
        conversations_assign(conversations=[conversation], assignee=user, by=by)
    else:
        conversation_transfer(conversation=conversation, by=by, to_user=user)
    return True


def _reply(conversation: Conversation, action: dict, by: User, key: str | None) -> str:
    reply = SavedReply.objects.filter(pk=action.get("reply")).first()
    if reply is None or not (reply.is_shared or reply.owner_id == by.pk):
        raise ActionFailed("the saved reply was removed")
    values = contact_values(contact=contact_with_details(conversation.contact), agent=by)
    body, missing = reply_merge(body=reply.body, values=values)
    if missing:
        raise ActionFailed(f"the saved reply {reply.title} needs {', '.join(missing)}")
    message_send(conversation=conversation, author=by, body=body, idempotency_key=key)
    return f"sent the saved reply {reply.title}"


@dataclass(frozen=True)
class Origin:
    """Who acts and why: the source named in webhooks ("Rule VIP to Alice"), the event, the
    rule (None for a macro), and the key that makes a send idempotent (a retried rule run
    sends once)."""

    source: str
    event: str = ""
    rule_id: int | None = None
    key: str | None = None


def _template(conversation: Conversation, action: dict, by: User, key: str | None) -> str:
    template = WhatsAppTemplate.objects.filter(pk=action.get("template")).first()
    if template is None:
        raise ActionFailed("the template was removed")
    values = template_values_from_contact(template=template, contact=conversation.contact)
    whatsapp_template_send(
        conversation=conversation, author=by, template=template, values=values, idempotency_key=key
    )
    return f"sent the template {template.name}"


def act(conversation: Conversation, action: dict, *, by: User, origin: Origin) -> str:
    """Carry out ``action`` on ``conversation`` as ``by``; return what was done, in words
    ("assigned this to Alice"), or "" when there was nothing to do. Raises ActionFailed."""
    do = action.get("do")
    try:
        if do == "assign":
            user = _user(action.get("user"))
            return f"assigned this to {user}" if _assign(conversation, user, by) else ""
        if do == "assign_team":
            team = _team(action.get("team"))
            conversation_transfer(conversation=conversation, by=by, to_team=team)
            return f"handed this to the team {team}"
        if do == "round_robin":
            team = _team(action.get("team"))
            with transaction.atomic():
                member = auto_assign_next_member(team=team)
            if member is None:
                conversation_transfer(conversation=conversation, by=by, to_team=team)
                return f"handed this to the team {team} (nobody was available)"
            if not _assign(conversation, member, by):
                return ""
            return f"assigned this to {member} (round robin in {team})"
        if do in ("add_label", "remove_label"):
            name = action.get("label", "")
            adding = do == "add_label"
            if conversation.labels.filter(name=name).exists() == adding:
                return ""  # already there, or not there to remove
            conversations_label(
                conversations=[conversation], by=by, **{"add" if adding else "remove": name}
            )
            return f"added {name}" if adding else f"removed {name}"
        if do == "status":
            status = action.get("status")
            try:
                conversation_set_status(conversation=conversation, status=status, by=by)
            except StatusRefused:
                return ""
            return "closed this" if status == Conversation.Status.CLOSED else "reopened this"
        if do == "snooze":
            minutes = int(action.get("minutes") or 0)
            until = timezone.now() + timedelta(minutes=minutes)
            conversation_snooze(conversation=conversation, by=by, until=until)
            return f"snoozed this for {minutes} min"
        if do == "reply":
            return _reply(conversation, action, by, origin.key)
        if do == "template":
            return _template(conversation, action, by, origin.key)
        if do == "note":
            note_add(conversation=conversation, author=by, body=action.get("body", ""))
            return "added a note"
        if do == "webhook":
            webhook_queue(
                conversation=conversation,
                url=action.get("url", ""),
                source=origin.source,
                event=origin.event,
                rule_id=origin.rule_id,
            )
            return f"called the webhook {urlsplit(action.get('url', '')).hostname}"
    except (*REFUSALS, Blocked) as refused:
        raise ActionFailed(str(refused)) from refused
    except ValueError as bad:
        raise ActionFailed(f"the action {do} is not valid") from bad
    raise ActionFailed(f"unknown action {do!r}")


def would(action: dict, names: dict[str, str]) -> str:
    """What ``action`` would do, in words, without doing it ("assign to Alice")."""
    do = action.get("do")
    if do == "assign":
        user = names.get(f"user:{action.get('user')}", "a removed person")
        return f"assign to {user}"
    if do in ("assign_team", "round_robin"):
        team = names.get(f"team:{action.get('team')}", "a removed team")
        return f"assign to the team {team}" + (" (round robin)" if do == "round_robin" else "")
    if do == "add_label":
        return f"add {action.get('label')}"
    if do == "remove_label":
        return f"remove {action.get('label')}"
    if do == "status":
        return "close" if action.get("status") == Conversation.Status.CLOSED else "reopen"
    if do == "snooze":
        return f"snooze for {action.get('minutes')} min"
    if do == "reply":
        title = names.get(f"reply:{action.get('reply')}", "(removed)")
        return f"send the saved reply {title}"
    if do == "note":
        return f"add the note {action.get('body', '')!r}"
    if do == "template":
        name = names.get(f"template:{action.get('template')}", "(removed)")
        return f"send the template {name}"
    if do == "webhook":
        return f"call the webhook {urlsplit(action.get('url', '')).hostname}"
    return f"do {do!r}"


def names_for_actions() -> dict[str, str]:
    """Who and what actions and conditions name, by "user:<pk>", "team:<pk>",
    "reply:<pk>", "sender:<pk>" and "template:<pk>" (five queries)."""
    names = {f"user:{u.pk}": str(u) for u in User.objects.all()}
    names |= {f"team:{t.pk}": t.name for t in Team.objects.all()}
    names |= {f"reply:{r.pk}": r.title for r in SavedReply.objects.all()}
    names |= {f"sender:{s.pk}": s.label or s.address for s in SenderId.objects.all()}
    names |= {f"template:{t.pk}": t.name for t in WhatsAppTemplate.objects.all()}
    return names

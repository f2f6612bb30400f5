"""Conversation labels (F-CV12): labels on the conversation itself, besides the contact's.

Both kinds share the ``Label`` table (one name, one colour); a conversation label is a
row of ``Conversation.labels``. Adding a label that does not exist yet creates it.
"""

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from ..happenings import Happening, announce
from ..live_events import event_record
from ..models import Conversation, ConversationEvent, Label, User

LABEL_MAX_LENGTH = 50


class LabelRefused(Exception):
    """A label name that cannot be used; the message is for the agent."""


def label_name_clean(raw: str) -> str:
    """The label name as stored: trimmed, inner spaces collapsed; refused when empty or long."""
    name = " ".join((raw or "").split())
    if not name:
        raise LabelRefused("Type a label name first.")
    if len(name) > LABEL_MAX_LENGTH:
        raise LabelRefused(f"A label has at most {LABEL_MAX_LENGTH} characters.")
    return name


def conversations_label(
    *, conversations: Sequence[Conversation], by: User, add: str = "", remove: str = ""
) -> Label | None:
    """Add the label ``add`` to, or remove ``remove`` from, every one of ``conversations``
    (visible to ``by``: the caller checked). Each changed thread records it; unchanged
    ones (already labelled, or without the label) are left alone. Returns the label."""
    if bool(add) == bool(remove):
        raise LabelRefused("Choose one label to add or to remove.")
    name = label_name_clean(add or remove)
    Through = Conversation.labels.through
    ids = [c.pk for c in conversations]
    with transaction.atomic():
        if add:
            label, _ = Label.objects.get_or_create(name=name)
            had = set(
                Through.objects.filter(label=label, conversation_id__in=ids).values_list(
                    "conversation_id", flat=True
                )
            )
            changed = [pk for pk in ids if pk not in had]
            Through.objects.bulk_create(
                [Through(conversation_id=pk, label=label) for pk in changed]
            )
            text = f"added {name}"
        else:
            label = Label.objects.filter(name=name).first()
            if label is None:
                return None
            rows = Through.objects.filter(label=label, conversation_id__in=ids)
            changed = list(rows.values_list("conversation_id", flat=True))
            rows.delete()
            text = f"removed {name}"
        if changed:
            ConversationEvent.objects.bulk_create(
                ConversationEvent(
                    conversation_id=pk,
                    kind=ConversationEvent.Kind.LABELS,
                    actor=by,
                    body=text,
                    data={"label": name, "added": bool(add)},
                )
                for pk in changed
            )
            Conversation.objects.filter(pk__in=changed).update(changed_at=timezone.now())
            event_record(kind="label", conversations=changed, data={"label": name})
            for pk in changed if add else ():
                announce(Happening.LABEL_ADDED, conversation_id=pk, data={"label": name})
    return label

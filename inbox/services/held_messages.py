"""Messages held for business hours (F-CP4): saved at once, sent when the hours open.

An agent's send while its sender ID is closed is stored with status ``scheduled`` and
``scheduled_for`` set to the next opening. A task is enqueued for that moment
(``release_held_message``) and a beat sweep (``release_due_held_messages``) releases
anything whose task was lost, so a worker that was down at opening sends when it starts.
Release hands the message to the normal dispatch (``dispatch_paced_on_commit``): per-sender
pacing spreads a morning backlog, and ``message_dispatch`` checks the send rules again.

Stuck-message recovery only looks at ``queued`` messages, so it never releases one early.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..enqueue import enqueue
from ..live_events import event_record
from ..models import (
    Conversation,
    ConversationEvent,
    Message,
    MessageStatus,
    Organisation,
    SenderId,
    User,
    WhatsAppTemplate,
)
from ..pure.segments import count_segments
from ..reports.tally import tally_add
from .business_hours import (
    closed_until,
    is_open,
    load_holidays,
    next_opening,
    opening_label,
    sender_hours,
)
from .reply_window import check_template_approved
from .sending import SendRefused, dispatch_paced_on_commit, media_preview, preview_of
from .whatsapp_templates import template_values_check

RELEASE_BATCH = 500


class HeldMessageRefused(Exception):
    """A change to a held message that cannot happen (already sent, not yours)."""


def hold_until(*, sender: SenderId, at: datetime) -> datetime | None:
    """None when ``sender`` is open at ``at``; else when its hours next open.

    Raises SendRefused when they never open (business hours with no opening time).
    """
    hours = sender_hours(sender)
    if is_open(hours, at):
        return None
    opens = next_opening(hours, at)
    if opens is None:
        raise SendRefused(
            "This sender ID's business hours never open, so the message could not be sent. "
            "An admin can set its opening times in Business hours."
        )
    return opens


def held_until_label(sender: SenderId) -> str:
    """When a message sent from ``sender`` now would go ("Monday 09:00"), while its business
    hours are closed; blank while they are open. The compose boxes warn with it."""
    opens = closed_until(sender_hours(sender), timezone.now())
    return opening_label(opens) if opens else ""


def enqueue_release(message_id: int, *, at: datetime) -> bool:
    """Queue the release of a held message for ``at``; False when the broker cannot be
    reached. The message stays held, and the beat sweep (``release_due_held_messages``)
    releases it once its time has come, so the agent's request never fails for it."""
    from ..tasks import release_held_message  # tasks import services: import here

    countdown = max((at - timezone.now()).total_seconds(), 0)
    return enqueue(release_held_message, message_id, countdown=countdown)


def message_hold(*, message: Message, until: datetime) -> None:
    """Hold a message just saved (queued, not dispatched) until ``until``; enqueue its
    release for then once the caller's transaction commits."""
    message.status, message.scheduled_for = MessageStatus.SCHEDULED, until
    Message.objects.filter(pk=message.pk).update(status=message.status, scheduled_for=until)
    transaction.on_commit(lambda: enqueue_release(message.pk, at=until))


def held_message_release(*, message_id: int, now: datetime | None = None) -> bool:
    """Hand a held message whose time has come to the normal dispatch; return whether it
    was released by this call.

    The claim is a conditional UPDATE (still ``scheduled``, at the time read): of two
    workers releasing one message, one claims it and the other finds nothing to do, so a
    release never sends twice. When the hours changed since the message was held and are
    closed now, it waits for their new opening instead.
    """
    now = now or timezone.now()
    held = (
        Message.objects.select_related("conversation__sender_id")
        .filter(pk=message_id, status=MessageStatus.SCHEDULED, scheduled_for__lte=now)
        .first()
    )
    if held is None:
        return False
    still_held = Message.objects.filter(
        pk=message_id, status=MessageStatus.SCHEDULED, scheduled_for=held.scheduled_for
    )
    sender = held.conversation.sender_id
    hours = sender_hours(sender)
    # Hours since left with no opening time at all release it too: holding it for ever
    # would lose it.
    opens = None if is_open(hours, now) else next_opening(hours, now)
    with transaction.atomic():
        # The conversation first, the sender ID last: the lock order of every send path.
        Conversation.objects.filter(pk=held.conversation_id).update(changed_at=now)
        event_record(kind="held", conversations=[held.conversation_id])
        if opens is not None:
            if still_held.update(scheduled_for=opens):
                transaction.on_commit(lambda: enqueue_release(message_id, at=opens))
            return False
        # ``scheduled_for`` becomes the release time: recovery counts a stuck send from it.
        if not still_held.update(status=MessageStatus.QUEUED, scheduled_for=now):
            return False
        held.status, held.scheduled_for = MessageStatus.QUEUED, now
        dispatch_paced_on_commit(message=held, sender_id=sender.pk)
    return True


def held_messages_release_due(*, now: datetime | None = None) -> int:
    """Release every held message whose opening has passed (the beat sweep behind the
    scheduled tasks); return how many went to dispatch."""
    now = now or timezone.now()
    due = list(
        Message.objects.filter(status=MessageStatus.SCHEDULED, scheduled_for__lte=now)
        .order_by("scheduled_for", "pk")
        .values_list("pk", flat=True)[:RELEASE_BATCH]
    )
    return sum(held_message_release(message_id=pk, now=now) for pk in due)


def held_messages_reschedule(*, now: datetime | None = None) -> int:
    """After the hours changed: move each held message to its sender ID's new opening
    (now, when open now), and enqueue its release for then; return how many moved.

    Call inside the transaction that changed the hours: the releases go once it commits.
    """
    now = now or timezone.now()
    held = Message.objects.filter(status=MessageStatus.SCHEDULED)
    senders = SenderId.objects.filter(pk__in=held.values("conversation__sender_id"))
    organisation, holidays = Organisation.load(), load_holidays()
    moved = 0
    for sender in senders:
        hours = sender_hours(sender, organisation=organisation, holidays=holidays)
        opens = closed_until(hours, now) or now
        ids = list(
            held.filter(conversation__sender_id=sender)
            .exclude(scheduled_for=opens)
            .values_list("pk", flat=True)
        )
        moved += Message.objects.filter(pk__in=ids, status=MessageStatus.SCHEDULED).update(
            scheduled_for=opens
        )
        for message_id in ids:
            transaction.on_commit(lambda pk=message_id, at=opens: enqueue_release(pk, at=at))
    return moved


def can_change_held(user: User, message: Message) -> bool:
    """The author of a held message, or an admin, may edit or cancel it until it goes."""
    return message.status == MessageStatus.SCHEDULED and (
        user.is_admin or message.author_id == user.pk
    )


def held_message_edit(*, message: Message, by: User, body: str) -> Message:
    """Replace the text of a held message; raises HeldMessageRefused once it has gone.

    A held WhatsApp template has no free text to change: the customer is sent the
    registered template, so only its variables change (``held_template_edit``).
    """
    body = (body or "").strip()
    if not can_change_held(by, message):
        raise HeldMessageRefused("Only its author or an admin can change this message.")
    if message.content_sid:
        raise HeldMessageRefused(
            "This is a registered WhatsApp template: change its variables, or cancel it."
        )
    if not body and not message.attachments.exists():
        raise HeldMessageRefused("Write a message, or cancel it instead.")
    return _held_update(message=message, body=body)


def held_template_edit(
    *, message: Message, by: User, template: WhatsAppTemplate | None, values: dict[str, str]
) -> Message:
    """Give a held WhatsApp template new ``values`` for its variables: its text is rendered
    again from ``template``, so the thread shows what the customer will be sent.

    Raises HeldMessageRefused once it has gone, for a blank variable, or when WhatsApp no
    longer approves the template (it can only be cancelled then).
    """
    if not can_change_held(by, message):
        raise HeldMessageRefused("Only its author or an admin can change this message.")
    if template is None or template.content_sid != message.content_sid:
        template = None
    try:
        check_template_approved(template=template)
        filled = template_values_check(template=template, values=values)
    except SendRefused as refused:
        raise HeldMessageRefused(str(refused)) from refused
    return _held_update(message=message, body=template.render(filled), variables=filled)


def _held_update(*, message: Message, body: str, variables: dict | None = None) -> Message:
    fields = {"body": body, "segments": max(count_segments(body).segments, 1)}
    if variables is not None:
        fields["content_variables"] = variables
    now = timezone.now()
    summary = {"changed_at": now}
    latest = (
        Message.objects.filter(conversation_id=message.conversation_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if latest == message.pk:  # the lists show it; a newer message keeps its own preview
        summary["last_message_preview"] = preview_of(body)
    with transaction.atomic():
        Conversation.objects.filter(pk=message.conversation_id).update(**summary)
        event_record(kind="held", conversations=[message.conversation_id])
        changed = Message.objects.filter(pk=message.pk, status=MessageStatus.SCHEDULED).update(
            **fields
        )
        if not changed:
            raise HeldMessageRefused("This message has been sent already; it can't be changed.")
    for name, value in fields.items():
        setattr(message, name, value)
    return message


def held_message_cancel(*, message: Message, by: User) -> None:
    """Cancel a held message before it goes: it leaves the thread, an event says so."""
    if not can_change_held(by, message):
        raise HeldMessageRefused("Only its author or an admin can cancel this message.")
    with transaction.atomic():
        event_record(kind="held", conversations=[message.conversation_id])
        deleted, _ = Message.objects.filter(pk=message.pk, status=MessageStatus.SCHEDULED).delete()
        if not deleted:
            raise HeldMessageRefused("This message has been sent already; it can't be cancelled.")
        # The lists show the latest message that remains, not the one never sent.
        latest = (
            Message.objects.filter(conversation_id=message.conversation_id)
            .order_by("-created_at", "-pk")
            .first()
        )
        preview = ""
        if latest is not None:
            preview = preview_of(latest.body) or media_preview(latest.attachments.count())
        Conversation.objects.filter(pk=message.conversation_id).update(
            changed_at=timezone.now(),
            last_message_preview=preview,
            last_message_direction=latest.direction if latest else "",
        )
        tally_add(message, -1)
        ConversationEvent.objects.create(
            conversation_id=message.conversation_id,
            kind=ConversationEvent.Kind.HELD_CANCELLED,
            actor=by,
            body=preview_of(message.body),
        )

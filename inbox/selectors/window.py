"""The conversation window: its thread, the facts beside it and who may be mentioned."""

from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from ..access import can_export, can_send_in, viewers_of
from ..models import (
    Attachment,
    Contact,
    ContactChange,
    ContactFieldValue,
    Conversation,
    ConversationEvent,
    Label,
    Message,
    MessageDirection,
    User,
)
from ..pure.params import param_int
from ..services import teams
from ..services.assignment import transfer_targets
from ..waiting import anyone_joined, waiting_of

# The window opens on the newest THREAD_PAGE messages; "Show earlier" adds as many again.
THREAD_PAGE = 50
THREAD_MAX = 2000
# The contact panel shows this many of the contact's latest changes.
RECENT_CHANGES = 5


def mention_candidates(*, conversation: Conversation, prefix: str, limit: int = 8) -> list[User]:
    """Teammates who may open ``conversation`` whose username or name starts with ``prefix``:
    what typing ``@`` in a note offers."""
    prefix = prefix.strip()[:50]
    people = viewers_of(conversation)
    if prefix:
        people = people.filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
    return list(people.order_by("username").only("username", "first_name", "last_name")[:limit])


def contact_with_details(contact: Contact, *, labels: bool = True) -> Contact:
    """``contact`` with its labels (unless the caller has them: ``label_choices``), custom
    field values (named, by name) and latest changes loaded, in three queries however often
    the panel and its form read them; loading twice is free."""
    prefetch_related_objects(
        [contact],
        *(["labels"] if labels else []),
        Prefetch(
            "field_values",
            queryset=ContactFieldValue.objects.select_related("field").order_by("field__name"),
        ),
    )
    if not hasattr(contact, "recent_changes"):
        # One contact's newest changes: a plain LIMIT (a sliced prefetch would build a window
        # function over every contact's changes, for one contact).
        contact.recent_changes = list(
            ContactChange.objects.filter(contact=contact)
            .select_related("actor")
            .order_by("-at", "-id")[:RECENT_CHANGES]
        )
    return contact


@dataclass(frozen=True)
class Thread:
    """What the window shows of a thread: the newest ``size`` messages (with the events
    among them), oldest first, and whether older messages exist."""

    items: list[Message | ConversationEvent]
    size: int
    has_earlier: bool

    @property
    def earlier_size(self) -> int:
        return min(self.size + THREAD_PAGE, THREAD_MAX)

    @staticmethod
    def size_from(raw: str | None) -> int:
        """The ``?show=`` of a request: how many messages the reader has asked to see."""
        asked = param_int(raw)
        return THREAD_PAGE if asked is None else max(THREAD_PAGE, min(asked, THREAD_MAX))


def thread(*, conversation: Conversation, size: int) -> Thread:
    """The newest ``size`` messages of ``conversation`` and its events since the oldest."""
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .annotate(has_attachments=Exists(Attachment.objects.filter(message=OuterRef("pk"))))
        .order_by("-created_at", "-id")[: size + 1]
    )
    has_earlier = len(messages) > size
    messages = messages[:size]
    _with_attachments(messages)
    events = ConversationEvent.objects.filter(conversation=conversation).select_related("actor")
    if has_earlier:
        events = events.filter(created_at__gte=messages[-1].created_at)
    items = sorted(chain(messages, events), key=lambda item: item.created_at)
    return Thread(items=items, size=size, has_earlier=has_earlier)


def _with_attachments(messages: list[Message]) -> None:
    """Load the attachments of the messages that have any (one query; none for a page of
    text messages, the usual thread)."""
    with_files = [m for m in messages if m.has_attachments]
    for message in messages:
        if not message.has_attachments:
            message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}
    prefetch_related_objects(
        with_files, Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )


def window_state(*, user: User, conversation: Conversation) -> dict:
    """What the conversation window shows about ``conversation`` and offers ``user`` to do."""
    can_act = can_send_in(user, conversation)
    closed = conversation.status == Conversation.Status.CLOSED
    joined = anyone_joined(conversation=conversation)
    return {
        "waiting": waiting_of(conversation=conversation, anyone_joined=joined, now=timezone.now()),
        "can_close": can_act and not closed,
        "can_reopen": can_act and closed,
        "can_join": teams.can_join(user, conversation),
        "can_leave": teams.can_leave(user, conversation),
        "can_grab": teams.can_grab(user, conversation),
        "can_export": can_export(user, conversation),
        "transfer_targets": transfer_targets(conversation=conversation, by=user),
    }


def replied_by_another(*, conversation: Conversation, user: User, since: datetime) -> str:
    """Who (besides ``user``) sent the newest reply in ``conversation`` after ``since``:
    their name, "An automatic reply", or "" when nobody else did (one query)."""
    reply = (
        Message.objects.filter(
            conversation=conversation, direction=MessageDirection.OUTBOUND, created_at__gt=since
        )
        .exclude(author=user)
        .select_related("author")
        .order_by("-created_at", "-id")
        .first()
    )
    if reply is None:
        return ""
    return str(reply.author) if reply.author else "An automatic reply"


def label_choices(*, conversation: Conversation) -> list[Label]:
    """Every label by name, each marked ``on`` when ``conversation`` carries it and
    ``on_contact`` when its contact does (one query): the window's label picker, the
    conversation's chips and the contact panel's."""
    return list(
        Label.objects.annotate(
            on=Exists(
                Conversation.labels.through.objects.filter(
                    conversation=conversation, label=OuterRef("pk")
                )
            ),
            on_contact=Exists(
                Contact.labels.through.objects.filter(
                    contact_id=conversation.contact_id, label=OuterRef("pk")
                )
            ),
        ).order_by("name")
    )

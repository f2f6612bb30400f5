"""What opening the conversation window asks about the conversation for its reader, read in
the same query as the conversation itself.

Opening a conversation asked four small questions, one query each, before it drew anything:
has the reader read it since the customer's last message, were they mentioned in it and
have not seen it yet, has anyone joined it, have they. ``window_conversation_facts`` puts
them in the conversation's own query as EXISTS columns; the services that ask them
(``conversation_mark_read``, ``mentions_seen``, ``anyone_joined``, ``teams``) take the
answer from ``known`` when it is there and was read for the same user, and ask the
database otherwise. A service that changes one of them keeps the answer current.
"""

from dataclasses import dataclass, replace

from django.db.models import Exists, OuterRef

from .models import Conversation, Notification, Participation, ReadState, User


@dataclass(frozen=True)
class WindowFacts:
    user_pk: int
    read: bool  # a read mark at or after the last customer message
    mentions_unseen: bool
    anyone_joined: bool
    user_joined: bool


def window_conversation_facts(user: User) -> dict[str, Exists]:
    """The annotations ``remember`` reads, for ``conversation_for(…, also=…)``."""
    joined = Participation.objects.filter(conversation=OuterRef("pk"), joined_at__isnull=False)
    return {
        "facts_read": Exists(
            ReadState.objects.filter(
                user=user,
                conversation=OuterRef("pk"),
                last_read_at__gte=OuterRef("last_inbound_at"),
            )
        ),
        "facts_mentions_unseen": Exists(
            Notification.objects.filter(
                user=user,
                kind=Notification.Kind.MENTIONED,
                conversation=OuterRef("pk"),
                read_at__isnull=True,
            )
        ),
        "facts_anyone_joined": Exists(joined),
        "facts_user_joined": Exists(joined.filter(user=user)),
    }


def remember(conversation: Conversation, user: User) -> Conversation:
    """Keep the annotated answers on ``conversation`` for ``user``."""
    conversation.window_facts = WindowFacts(
        user_pk=user.pk,
        read=conversation.facts_read,
        mentions_unseen=conversation.facts_mentions_unseen,
        anyone_joined=conversation.facts_anyone_joined,
        user_joined=conversation.facts_user_joined,
    )
    return conversation


def known(conversation: Conversation, user: User | None = None) -> WindowFacts | None:
    """The facts read with ``conversation`` (for ``user``, when given), or None."""
    facts = getattr(conversation, "window_facts", None)
    if facts is None or (user is not None and facts.user_pk != user.pk):
        return None
    return facts


def update(conversation: Conversation, user: User, **changes: bool) -> None:
    """A service changed a fact for ``user``: the answer kept for them follows."""
    facts = known(conversation, user)
    if facts is not None:
        conversation.window_facts = replace(facts, **changes)

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

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from .models import Conversation, Notification, Participation, ReadState, User


@dataclass(frozen=True)
class WindowFacts:
    user_pk: int
    read: bool  # a read mark at or after the last customer message
    mentions_unseen: bool
    anyone_joined: bool
    user_joined: bool


def window_conversation_facts(user: User) -> dict[str, RawSQL]:
    """The annotations ``remember`` reads, for ``conversation_for(…, also=…)``.

    Written as SQL: the same EXISTS built from querysets and ``OuterRef`` cost more to
    compile (about 3 ms for the four) than the four small queries they replace."""
    conversation = f'"{Conversation._meta.db_table}"'
    joined = (
        f"SELECT 1 FROM {Participation._meta.db_table} p WHERE p.conversation_id = "
        f"{conversation}.id AND p.joined_at IS NOT NULL"
    )
    return {
        "facts_read": _exists(
            f"SELECT 1 FROM {ReadState._meta.db_table} r WHERE r.conversation_id = "
            f"{conversation}.id AND r.user_id = %s AND r.last_read_at >= "
            f"{conversation}.last_inbound_at",
            [user.pk],
        ),
        "facts_mentions_unseen": _exists(
            f"SELECT 1 FROM {Notification._meta.db_table} n WHERE n.conversation_id = "
            f"{conversation}.id AND n.user_id = %s AND n.kind = %s AND n.read_at IS NULL",
            [user.pk, Notification.Kind.MENTIONED.value],
        ),
        "facts_anyone_joined": _exists(joined, []),
        "facts_user_joined": _exists(f"{joined} AND p.user_id = %s", [user.pk]),
    }


def _exists(sql: str, params: list) -> RawSQL:
    return RawSQL(f"EXISTS({sql})", params, output_field=BooleanField())


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

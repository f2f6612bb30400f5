"""Search in message text (F-IN9): across every conversation the user may open.

On PostgreSQL a full-text search (``simple`` configuration: words as written, in any
language, without stemming) on the GIN index ``message_body_fts_idx``; elsewhere (SQLite,
``make run``) a plain substring match. Newest matches first; each hit carries a snippet
around the first matching word and opens the conversation at that message.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import QuerySet, Subquery
from django.utils.safestring import SafeString, mark_safe

from ..access import visible_conversations
from ..models import Conversation, Message, User

RESULTS = 30
SNIPPET_CHARS = 120
QUERY_MAX_LENGTH = 100
# A word with fewer matches than this is searched from its matches, not newest first.
FEW = 1000


def message_text_vector() -> SearchVector:
    """The indexed expression: keep it identical to the index in ``Message.Meta``."""
    return SearchVector("body", config="simple")


@dataclass(frozen=True)
class MessageHit:
    conversation: Conversation
    message_id: str
    created_at: datetime
    direction: str
    snippet: SafeString


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.lower()) if w not in ("or", "and")]


def snippet(body: str, text: str) -> SafeString:
    """About ``SNIPPET_CHARS`` of ``body`` around the first word of ``text`` it contains,
    escaped, each searched word marked."""
    words = _words(text)
    lowered = body.lower()
    starts = [i for i in (lowered.find(w) for w in words) if i >= 0]
    first = min(starts) if starts else 0
    start = max(0, first - SNIPPET_CHARS // 3)
    piece = body[start : start + SNIPPET_CHARS]
    marked = escape(piece)
    if words:
        pattern = re.compile("|".join(re.escape(escape(w)) for w in words), re.IGNORECASE)
        marked = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", marked)
    prefix = "…" if start else ""
    suffix = "…" if start + SNIPPET_CHARS < len(body) else ""
    return mark_safe(prefix + marked + suffix)


def _matching(messages: QuerySet[Message], text: str) -> QuerySet[Message]:
    """Messages whose text matches ``text``, as the plan that finds them fastest needs it.

    Newest first, the planner may walk the messages by time and test each one's text,
    betting on finding enough matches early: right for a common word, a walk of every
    message for a rare one (an order number: a minute at ten million messages, where its
    estimate of a rare word's matches is far too high). So the text index is asked alone
    first, for at most ``FEW`` matches (no order to walk by): when there are fewer, the
    search reads just those rows by id; otherwise the word is common and the walk by time
    is the quick way."""
    query = SearchQuery(text, config="simple", search_type="websearch")
    matching = Message.objects.alias(text_vector=message_text_vector()).filter(text_vector=query)
    few = list(matching.order_by().values_list("pk", flat=True)[:FEW])
    if len(few) < FEW:
        return messages.filter(pk__in=few)
    return messages.alias(text_vector=message_text_vector()).filter(text_vector=query)


def message_search(*, user: User, text: str, limit: int = RESULTS) -> list[MessageHit]:
    """The newest messages whose text matches ``text`` in conversations ``user`` may open
    (one query; on PostgreSQL one more asks the text index first, ``_matching``)."""
    text = text.strip()[:QUERY_MAX_LENGTH]
    if not _words(text):
        return []
    messages = Message.objects.filter(conversation__in=visible_conversations(user))
    if connection.vendor == "postgresql":
        messages = _matching(messages, text)
    else:
        messages = messages.filter(body__icontains=text)
    rows = (
        messages.select_related("conversation__contact", "conversation__sender_id")
        .only(
            "public_id",
            "body",
            "created_at",
            "direction",
            "conversation__public_id",
            "conversation__contact__display_name",
            "conversation__contact__phone_e164",
            "conversation__contact__public_id",
            "conversation__sender_id__label",
            "conversation__sender_id__address",
            "conversation__sender_id__channel",
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        MessageHit(
            conversation=m.conversation,
            message_id=m.public_id,
            created_at=m.created_at,
            direction=m.direction,
            snippet=snippet(m.body, text),
        )
        for m in rows
    ]


def thread_size_to_show(*, conversation: Conversation, message_id: str) -> int:
    """How many of the newest messages the window must show to include ``message_id``
    (0 when it is not in this conversation): one count."""
    at = Message.objects.filter(conversation=conversation, public_id=message_id).values(
        "created_at"
    )[:1]
    return Message.objects.filter(conversation=conversation, created_at__gte=Subquery(at)).count()

"""The message tallies the report counts from, so a month of messages is a sum of a few
thousand rows: ``MessageTally`` (per UTC quarter hour and channel: the unfiltered headline
counts and the heatmap) and ``MessageDayTally`` (per UTC day, sender ID and owner: the tables,
and the headline counts under an agent, sender ID or channel filter).

The services that store messages keep both in the same transaction (``tally_add``: two
upserts, the last statements before the commit, so a busy row is held only for the commit).
They are exact at every moment: a customer message stored late counts when the customer
wrote it, and a held message that is cancelled is taken off again. A conversation that
changes owner (by any path) keeps its day-tally counts under ``tallied_owner`` until
``tally_owners_settle`` moves them; the report adds the moves not made yet.
``tally_rebuild`` recomputes both from the messages (the migration backfills with it).
"""

from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate

from ..models import Conversation, Message, MessageDayTally, MessageTally
from ..models.conversations import tally_moved_q
from . import metrics

DAY_TABLE = MessageDayTally._meta.db_table
DAY_ADDS = (
    "ON CONFLICT (day, sender_id, owner, kind) "
    f"DO UPDATE SET messages = {DAY_TABLE}.messages + EXCLUDED.messages"
)


def bucket_of(at: datetime) -> datetime:
    """The start of the UTC quarter hour ``at`` falls in."""
    seconds = int(at.timestamp()) // 900 * 900
    return datetime.fromtimestamp(seconds, tz=UTC)


def kind_of(message: Message) -> str | None:
    """What the report counts ``message`` as (``metrics``' definitions), or None."""
    if metrics.is_customer_message(message):
        return MessageTally.Kind.CUSTOMER
    if metrics.is_agent_message(message):
        return MessageTally.Kind.AGENT
    return None


def tally_add(message: Message, count: int = 1) -> None:
    """Count ``message`` in its quarter hour and its day (``count`` -1 takes it off). Call
    it inside the transaction that stores (or deletes) the message, once the conversation
    row is locked (the day tally reads its ``tallied_owner``), as late as possible."""
    kind = kind_of(message)
    if kind is None:
        return
    bucket = bucket_of(message.created_at)
    if count < 0:  # the rows are there: the message was counted when it was stored
        conversation = Conversation.objects.filter(pk=message.conversation_id)
        MessageTally.objects.filter(bucket=bucket, channel=message.channel, kind=kind).update(
            messages=F("messages") + count
        )
        MessageDayTally.objects.filter(
            day=bucket.date(),
            sender_id=Subquery(conversation.values("sender_id")),
            owner=Subquery(conversation.values("tallied_owner")),
            kind=kind,
        ).update(messages=F("messages") + count)
        return
    quarter, conversations = MessageTally._meta.db_table, Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quarter} (bucket, channel, kind, messages) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (bucket, channel, kind) "
            f"DO UPDATE SET messages = {quarter}.messages + EXCLUDED.messages",
            [connection.ops.adapt_datetimefield_value(bucket), message.channel, kind, count],
        )
        cursor.execute(
            f"INSERT INTO {DAY_TABLE} (day, sender_id, owner, kind, messages) "
            f"SELECT %s, sender_id_id, tallied_owner, %s, %s FROM {conversations} WHERE id = %s "
            + DAY_ADDS,
            [connection.ops.adapt_datefield_value(bucket.date()), kind, count,
             message.conversation_id],
        )  # fmt: skip


def tally_owners_settle(*, limit: int = 500) -> int:
    """Move the day-tally counts of reassigned conversations to their current owner (a
    beat task); the number of conversations settled. Rows another transaction holds are
    left for the next run; a conversation's lock keeps its messages from being counted
    under the owner it is leaving."""
    with transaction.atomic():
        moved = {
            pk: (sender, owner or 0, tallied)
            for pk, sender, owner, tallied in Conversation.objects.select_for_update(
                skip_locked=True
            )
            .filter(tally_moved_q())
            .order_by("pk")
            .values_list("pk", "sender_id", "owner", "tallied_owner")[:limit]
        }
        if not moved:
            return 0
        days = (
            _counted(Message.objects.filter(conversation_id__in=moved))
            .annotate(tally_day=TruncDate("created_at", tzinfo=UTC))
            .values("conversation_id", "tally_day", "tally_kind")
            .annotate(n=Count("pk"))
        )
        for row in days:
            sender, owner, tallied = moved[row["conversation_id"]]
            key = {"day": row["tally_day"], "sender_id": sender, "kind": row["tally_kind"]}
            # Never below zero, so a count that went wrong cannot stop the task for good.
            MessageDayTally.objects.filter(**key, owner=tallied).update(
                messages=Greatest(F("messages") - row["n"], 0)
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {DAY_TABLE} (day, sender_id, owner, kind, messages) "
                    f"VALUES (%s, %s, %s, %s, %s) {DAY_ADDS}",
                    [connection.ops.adapt_datefield_value(key["day"]), sender, owner,
                     key["kind"], row["n"]],
                )  # fmt: skip
        # One statement: the rows are locked above, so their owner is still the one moved to.
        Conversation.objects.filter(pk__in=moved).update(tallied_owner=Coalesce("owner", 0))
    return len(moved)


class QuarterHour(Func):
    """The start of a timestamp's UTC quarter hour, in SQL."""

    output_field = DateTimeField()
    template = "TO_TIMESTAMP(FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 900) * 900)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            # The whole seconds only (SQLite rounds fractions to milliseconds, which could
            # carry 09:14:59.9999995 into the next quarter hour); '%%%%s' is STRFTIME's '%s'
            # once the template and the driver's quoting have read it.
            template="DATETIME(CAST(STRFTIME('%%%%s', SUBSTR(%(expressions)s, 1, 19)) AS INTEGER)"
            " / 900 * 900, 'unixepoch')",
            **extra,
        )


def _counted(messages: QuerySet) -> QuerySet:
    """``messages`` the report counts, with their kind as ``tally_kind``."""
    kind = Case(
        When(metrics.customer_messages_q(), then=Value(MessageTally.Kind.CUSTOMER)),
        When(metrics.agent_messages_q(), then=Value(MessageTally.Kind.AGENT)),
        default=None,
    )
    return messages.annotate(tally_kind=kind).filter(tally_kind__isnull=False).order_by()


def tally_rebuild(
    *,
    message_model: type = Message,
    tally_model: type = MessageTally,
    day_model: type = MessageDayTally,
    conversation_model: type = Conversation,
) -> int:
    """Recompute both tallies from the messages, counting each conversation under its
    current owner; the number of rows. The models can be a migration's historical ones."""
    messages = _counted(message_model.objects.all())
    quarters = (
        messages.annotate(tally_bucket=QuarterHour("created_at"))
        .values("channel", bucket=F("tally_bucket"), kind=F("tally_kind"))
        .annotate(messages=Count("pk"))
    )
    days = (
        messages.annotate(tally_day=TruncDate("created_at", tzinfo=UTC))
        .values(
            day=F("tally_day"),
            sender_id=F("conversation__sender_id"),
            owner=Coalesce("conversation__owner", 0),
            kind=F("tally_kind"),
        )
        .annotate(messages=Count("pk"))
    )
    with transaction.atomic():
        conversation_model.objects.update(tallied_owner=Coalesce("owner", 0))
        written = 0
        for model, rows in ((tally_model, quarters), (day_model, days)):
            model.objects.all().delete()
            written += len(
                model.objects.bulk_create(
                    (model(**row) for row in rows.iterator(chunk_size=5000)), batch_size=5000
                )
            )
    return written

"""The message tally: customer and agent messages per quarter hour and channel, so the
report counts a month of messages by adding up a few thousand rows.

The services that store messages keep it in the same transaction (``tally_add``: one
upsert, the last statement before the commit, so a busy bucket's row is held only for the
commit). It is exact at every moment: a customer message stored late counts in the quarter
hour the customer wrote it, and a held message that is cancelled is taken off again.
``tally_rebuild`` recomputes it from the messages (the migration backfills with it).
"""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, DateTimeField, F, Func, Value, When

from ..models import Message, MessageTally
from . import metrics

QUARTER_HOUR = timedelta(minutes=15)


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
    """Count ``message`` in its quarter hour (``count`` -1 takes it off). Call it inside
    the transaction that stores (or deletes) the message, as late as possible."""
    kind = kind_of(message)
    if kind is None:
        return
    bucket = bucket_of(message.created_at)
    if count < 0:  # the row is there: the message was counted when it was stored
        MessageTally.objects.filter(bucket=bucket, channel=message.channel, kind=kind).update(
            messages=F("messages") + count
        )
        return
    table = MessageTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, channel, kind, messages) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (bucket, channel, kind) "
            f"DO UPDATE SET messages = {table}.messages + EXCLUDED.messages",
            [connection.ops.adapt_datetimefield_value(bucket), message.channel, kind, count],
        )


class QuarterHour(Func):
    """The start of a timestamp's UTC quarter hour, in SQL."""

    output_field = DateTimeField()
    template = "TO_TIMESTAMP(FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 900) * 900)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="DATETIME(CAST(STRFTIME('%%s', %(expressions)s) AS INTEGER) / 900 * 900, "
            "'unixepoch')",
            **extra,
        )


def tally_rebuild(*, message_model: type = Message, tally_model: type = MessageTally) -> int:
    """Recompute the whole tally from the messages (one aggregate query); the number of
    rows. The models can be a migration's historical ones."""
    kind = Case(
        When(metrics.customer_messages_q(), then=Value(MessageTally.Kind.CUSTOMER)),
        When(metrics.agent_messages_q(), then=Value(MessageTally.Kind.AGENT)),
        default=None,
    )
    rows = (
        message_model.objects.annotate(tally_bucket=QuarterHour("created_at"), tally_kind=kind)
        .filter(tally_kind__isnull=False)
        .order_by()
        .values("channel", bucket=F("tally_bucket"), kind=F("tally_kind"))
        .annotate(messages=Count("pk"))
    )
    tally_model.objects.all().delete()
    written = tally_model.objects.bulk_create(
        (tally_model(**row) for row in rows.iterator(chunk_size=5000)),
        batch_size=5000,
    )
    return len(written)

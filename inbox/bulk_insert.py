"""Bulk INSERTs of plain tuples, for the contact import: no model instance per row.

PostgreSQL gets the rows by COPY (through a temporary table when some rows may conflict
or ids are wanted back), which spares building and parsing one statement with tens of
thousands of values; SQLite, the development database, gets multi-row INSERTs.
"""

from django.db import connection, models, transaction

# Values the database takes as they come (str, int, None): no per-value preparation.
AS_IS = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)


def insert_rows(
    model: type[models.Model],
    names: tuple[str, ...],
    rows: list[tuple],
    *,
    on_conflict: str = "",
    returning: tuple[str, ...] = (),
) -> list[tuple]:
    """Insert ``rows`` (values of the fields ``names``) into ``model``'s table; return the
    ``returning`` columns of each row written. ``on_conflict`` is the rest of an ON CONFLICT
    clause, if any (a row it skips returns nothing)."""
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in names]
    prepare = [None if isinstance(f, AS_IS) else _preparer(f) for f in fields]
    if any(prepare):
        rows = [
            tuple(v if p is None else p(v) for p, v in zip(prepare, row, strict=True))
            for row in rows
        ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    tail = (f" ON CONFLICT {on_conflict}" if on_conflict else "") + (
        f" RETURNING {', '.join(quote(model._meta.get_field(n).column) for n in returning)}"
        if returning
        else ""
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _copy(cursor, table, columns, rows, tail, bool(returning))
        into = f"INSERT INTO {table} ({columns})"
        return _values(cursor, into, fields, rows, tail, bool(returning))


def _preparer(field: models.Field):
    """``field``'s preparation of a value for the database, remembered for a value seen
    before (the rows of a chunk share their times)."""
    prepared: dict = {}

    def prepare(value):
        try:
            return prepared[value]
        except KeyError:
            prepared[value] = field.get_db_prep_save(value, connection)
            return prepared[value]
        except TypeError:  # not hashable: a JSON list or object
            return field.get_db_prep_save(value, connection)

    return prepare


def _copy(
    cursor, table: str, columns: str, rows: list[tuple], tail: str, returns: bool
) -> list[tuple]:
    if not tail:
        _copy_into(cursor, table, columns, rows)
        return []
    cursor.execute(
        f"CREATE TEMPORARY TABLE bulk_rows ON COMMIT DROP AS SELECT {columns} FROM {table} "
        "WITH NO DATA"
    )
    _copy_into(cursor, "bulk_rows", columns, rows)
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM bulk_rows{tail}")
    written = cursor.fetchall() if returns else []
    cursor.execute("DROP TABLE bulk_rows")
    return written


def _copy_into(cursor, table: str, columns: str, rows: list[tuple]) -> None:
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _values(
    cursor, into: str, fields: list, rows: list[tuple], tail: str, returns: bool
) -> list[tuple]:
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = connection.ops.bulk_batch_size(fields, rows) or 1
    written: list[tuple] = []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        cursor.execute(
            f"{into} VALUES {', '.join([placeholders] * len(chunk))}{tail}",
            [v for row in chunk for v in row],
        )
        if returns:
            written.extend(cursor.fetchall())
    return written

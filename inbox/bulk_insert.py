"""Bulk INSERTs of plain tuples, for the contact import: no model instance per row, and as
few statements as the database allows (PostgreSQL and SQLite alike)."""

from django.db import connection, models

# The most parameters PostgreSQL binds in one statement.
MAX_PARAMETERS = 65_535


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
    quote = connection.ops.quote_name
    into = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    )
    tail = (f" ON CONFLICT {on_conflict}" if on_conflict else "") + (
        f" RETURNING {', '.join(quote(model._meta.get_field(n).column) for n in returning)}"
        if returning
        else ""
    )
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = min(connection.ops.bulk_batch_size(fields, rows) or 1, MAX_PARAMETERS // len(fields))
    prepare = [lambda v, f=f: f.get_db_prep_save(v, connection) for f in fields]
    written: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(
                f"{into} VALUES {', '.join([placeholders] * len(chunk))}{tail}",
                [p(v) for row in chunk for p, v in zip(prepare, row, strict=True)],
            )
            if returning:
                written.extend(cursor.fetchall())
    return written

"""Indexes only PostgreSQL can build (trigram and full-text GIN indexes).

Elsewhere (SQLite, for ``make run``) they are left out: when the index is added, and also
when SQLite rebuilds a table to alter it and recreates that table's indexes.
"""

from django.contrib.postgres.indexes import GinIndex


class PostgresGinIndex(GinIndex):
    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""  # an empty statement: nothing to build
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)

    def deconstruct(self):
        _path, args, kwargs = super().deconstruct()
        return "inbox.models.indexes.PostgresGinIndex", args, kwargs

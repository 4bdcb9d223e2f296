"""Bulk writes Django's ORM makes slow, written once for SQLite and PostgreSQL.

``bulk_update`` builds one ``CASE WHEN id = ... THEN ...`` per field and row; for thousands of
rows that costs milliseconds a row in Python. ``update_rows`` sends one
``WITH v(...) AS (VALUES ...) UPDATE ... FROM v`` statement per batch instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

BATCH = 2000


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Set ``fields`` from ``rows`` of ``(pk, value, value, ...)``, one statement per batch."""
    if not rows:
        return
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    pk_column = meta.pk.column  # type: ignore[union-attr]
    columns = [meta.get_field(name).column for name in fields]
    names = ["k", *(f"c{i}" for i in range(len(columns)))]
    postgres = connection.vendor == "postgresql"

    def value(i: int) -> str:
        if not postgres:
            return f"v.c{i}"
        # VALUES parameters carry no column type on PostgreSQL; name it (NULLs need it most)
        field = meta.get_field(fields[i])
        return f"CAST(v.c{i} AS {field.db_type(connection)})"

    assignments = ", ".join(
        f"{connection.ops.quote_name(column)} = {value(i)}" for i, column in enumerate(columns)
    )
    width = len(names)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(batch))
            key = "CAST(v.k AS bigint)" if postgres else "v.k"
            sql = (
                f"WITH v({', '.join(names)}) AS (VALUES {placeholders}) "
                f"UPDATE {table} SET {assignments} FROM v "
                f"WHERE {table}.{connection.ops.quote_name(pk_column)} = {key}"
            )
            cursor.execute(sql, [item for row in batch for item in row])


class BulkJSONField(models.JSONField):  # type: ignore[type-arg]
    """A JSONField that PostgreSQL bulk inserts as plain VALUES, not as an UNNEST of arrays.

    Django 5.2 inserts many rows on PostgreSQL through UNNEST of one array per column; psycopg
    then escapes every large JSON document character by character into an array literal, which
    made queuing 20,000 messages (each with its full context) take most of a dunning run.
    A field with ``get_placeholder`` keeps Django on the ordinary VALUES path.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"

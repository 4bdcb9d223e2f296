"""Bulk writes Django's ORM makes slow, written once for SQLite and PostgreSQL.

``bulk_create`` builds a model instance and one giant multi-row statement; ``insert_rows`` sends
plain rows by ``COPY`` (PostgreSQL) or ``executemany`` (SQLite) instead.

``bulk_update`` builds one ``CASE WHEN id = ... THEN ...`` per field and row; for thousands of
rows that costs milliseconds a row in Python. ``update_rows`` sends one
``WITH v(...) AS (VALUES ...) UPDATE ... FROM v`` statement per batch instead, and on PostgreSQL
from ``COPY_FROM`` rows on it copies them into a temporary table and updates from that.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.db.models import Lookup
from django.utils import timezone

BATCH = 2000
_Key = TypeVar("_Key", int, str)


class AnyOf(Lookup):  # type: ignore[type-arg]
    """``column = ANY(%s)`` with one array parameter on PostgreSQL (an IN list of 5,000
    placeholders costs Django and psycopg more than the query); on SQLite ``column IN (SELECT
    value FROM json_each(%s))`` with one JSON array, so no parameter limit applies there either.

    On PostgreSQL the array travels as one array literal in a string: Django binds parameters
    on the client, and psycopg quotes a Python list element by element in Python (a quarter of
    a second for 20,000 customer numbers) but a string in C. The values are integers or
    strings.

    ``Model.objects.filter(AnyOf(F("customer_id"), ids))``
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            element = _copy_type(self.lhs.output_field)
            return f"{lhs} = ANY(%s::{element}[])", [*params, array_literal(values)]
        _check_keys(values)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(values)]


def array_literal(values: Sequence[int | str]) -> str:
    """A PostgreSQL array literal of integers or strings: ``{1,2}``, ``{"a","b \\"c\\""}``."""
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    _check_keys(values)
    quoted = []
    for value in values:
        text = str(value)
        if "\\" in text or '"' in text:
            text = text.replace("\\", "\\\\").replace('"', '\\"')
        quoted.append(f'"{text}"')
    return "{" + ",".join(quoted) + "}"


def _check_keys(values: Sequence[Any]) -> None:
    for value in values:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise TypeError(f"AnyOf takes integers or strings, not {type(value).__name__}")


def key_chunk() -> int:
    """Keys per ``AnyOf`` query: bounds the size of one statement, on either database."""
    return 50_000


def key_chunks(values: Iterable[_Key]) -> Iterator[list[_Key]]:
    """The values, sorted, in slices of ``key_chunk()``: one ``AnyOf`` query per slice."""
    ordered = sorted(values)
    size = key_chunk()
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Set ``fields`` from ``rows`` of ``(pk, value, value, ...)``; JSON values as JSON text.

    PostgreSQL: the rows go by binary ``COPY`` into a temporary table, then one ``UPDATE ...
    FROM`` it: a 100,000-row ``VALUES`` statement made psycopg split 700,000 placeholders in
    Python, and binding arrays instead still dumped every element in Python. SQLite:
    ``UPDATE ... FROM (VALUES ...)`` per batch, within its parameter limit.
    """
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = quote(meta.pk.column)  # type: ignore[union-attr]
    targets = [meta.get_field(name) for name in fields]
    postgres = connection.vendor == "postgresql"
    if postgres and len(rows) >= COPY_FROM:
        _update_rows_copy(table, pk_column, targets, rows)
        return
    names = ["k", *(f"c{i}" for i in range(len(targets)))]
    # VALUES parameters carry no column type on PostgreSQL: name it (NULLs need it most)
    values = [f"CAST(v.c{i} AS {_sql_type(f)})" if postgres else f"v.c{i}" for i, f in enumerate(targets)]  # fmt: skip
    assignments = ", ".join(
        f"{quote(f.column)} = {v}" for f, v in zip(targets, values, strict=True)
    )  # type: ignore[union-attr]
    key = "CAST(v.k AS bigint)" if postgres else "v.k"
    width = len(names)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(batch))
            sql = (
                f"WITH v({', '.join(names)}) AS (VALUES {placeholders}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk_column} = {key}"
            )
            cursor.execute(sql, [item for row in batch for item in row])


COPY_FROM = 1000
"""Rows from which ``update_rows`` goes through a temporary table on PostgreSQL."""
_scratch = itertools.count(1)


def _sql_type(field: Any) -> str:
    return str(field.db_type(connection))


@transaction.atomic
def _update_rows_copy(
    table: str, pk_column: str, targets: Sequence[Any], rows: Sequence[tuple[Any, ...]]
) -> None:
    quote = connection.ops.quote_name
    scratch = quote(f"vorder_update_{next(_scratch)}")
    # JSON arrives as text and is cast once on the server (a binary jsonb COPY would take a str
    # for a JSON string literal).
    types = ["bigint", *("text" if _copy_type(f) in _JSON else _copy_type(f) for f in targets)]
    values = [
        f"v.c{i}::{_copy_type(f)}" if _copy_type(f) in _JSON else f"v.c{i}"
        for i, f in enumerate(targets)
    ]
    columns = ", ".join(["k bigint", *(f"c{i} {t}" for i, t in enumerate(types[1:]))])
    assignments = ", ".join(
        f"{quote(f.column)} = {v}" for f, v in zip(targets, values, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ({columns})")
        with cursor.cursor.copy(f"COPY {scratch} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {scratch} AS v WHERE {table}.{pk_column} = v.k"
        )
        cursor.execute(f"DROP TABLE {scratch}")


_JSON = frozenset({"jsonb", "json"})


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert many new rows (dicts of attnames): ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

    Why not ``bulk_create``: it builds a model instance and a parameter list per row (about 50 µs
    each, and SQLite batches of only ~70 rows), and on PostgreSQL psycopg then parses one huge
    multi-row statement; a million-invoice import or a dunning run's 20,000 messages would spend
    most of their time there. Every row of a call has the same keys; the columns they do not
    give get the field's default, computed once for the call (``auto_now``/``auto_now_add``: the
    time of this call), so a per-row default (a random token) must be given. Values go through
    the field's database preparation only where the database needs it (dates on SQLite, JSON,
    times). No ids come back: callers read them back by their natural key. A duplicate key
    raises ``IntegrityError`` (no ON CONFLICT); callers skip the keys they find first.
    """
    if not rows:
        return
    given = [f for f in model._meta.concrete_fields if f.attname in rows[0]]  # pk only if given
    getter = itemgetter(*(f.attname for f in given))
    if len(given) == 1:
        _insert_values(model, given, [(getter(row),) for row in rows])
    else:
        _insert_values(model, given, [getter(row) for row in rows])


def _insert_values(
    model: type[models.Model], given: Sequence[Any], values: Sequence[tuple[Any, ...]]
) -> None:
    """``insert_rows`` for rows as tuples of the ``given`` fields' values."""
    meta = model._meta
    ops = connection.ops
    now = timezone.now()
    names = {f.attname for f in given}
    rest = [f for f in meta.concrete_fields if not f.primary_key and f.attname not in names]
    constants: list[Any] = []
    for f in rest:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            constants.append(f.get_db_prep_save(now, connection))
        elif f.has_default() or not f.null:
            constants.append(f.get_db_prep_save(f.get_default(), connection))
        else:
            constants.append(None)
    sample: Any = date(2000, 1, 1)
    # PostgreSQL takes date objects as they are; SQLite wants ISO text.
    dates_as_is = ops.adapt_datefield_value(sample) is sample
    postgres = connection.vendor == "postgresql"
    preps: list[tuple[int, Any]] = []
    for i, f in enumerate(given):
        internal = f.get_internal_type()
        if internal == "DateField" and not dates_as_is:
            preps.append((i, ops.adapt_datefield_value))
        elif internal in ("DecimalField", "FileField") or (
            # psycopg's binary COPY takes JSON values and aware date-times as they are
            internal in ("DateTimeField", "JSONField") and not postgres
        ):
            preps.append((i, lambda v, f=f: f.get_db_prep_save(v, connection)))
    quote = ops.quote_name
    columns = ", ".join(quote(f.column) for f in (*given, *rest))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * (len(given) + len(rest)))})"
    )
    tail = tuple(constants)

    def prepared(chunk: Sequence[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in chunk:
            if preps:
                prepped = list(row)
                for i, prep in preps:
                    if prepped[i] is not None:
                        prepped[i] = prep(prepped[i])
                yield (*prepped, *tail)
            else:
                yield row + tail

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is PostgreSQL's bulk path: several times faster than INSERT per row. Binary:
            # psycopg writes text COPY in Python (about 7 µs a row) and binary in C.
            copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
            with cursor.cursor.copy(copy_sql) as copy:
                copy.set_types([_copy_type(f) for f in (*given, *rest)])
                for row in prepared(values):
                    copy.write_row(row)
            return
        for start in range(0, len(values), 5000):
            cursor.executemany(sql, list(prepared(values[start : start + 5000])))


def execute_rows(sql: str, types: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Run one ``INSERT ... VALUES (%s, ...) [ON CONFLICT ...]`` statement for many rows.

    PostgreSQL: a single statement over one array per column (``SELECT * FROM unnest(...)``),
    bound server-side in binary: 200,000 rows travel as six parameters instead of 1.2 million
    quoted literals. ``types`` are the columns' SQL types. SQLite: ``executemany`` in batches.
    Rows must not repeat a conflict key (PostgreSQL refuses to update a row twice in one
    statement).
    """
    if not rows:
        return
    placeholders = "VALUES (" + ", ".join(["%s"] * len(types)) + ")"
    if placeholders not in sql:
        raise ValueError(f"expected {placeholders} in the statement")
    if connection.vendor == "postgresql":
        import psycopg

        arrays = ", ".join(f"%s::{t}[]" for t in types)
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                sql.replace(placeholders, f"SELECT * FROM unnest({arrays})"),
                [list(column) for column in zip(*rows, strict=True)],
            )
        return
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


_COPY_TYPES = {"timestamp with time zone": "timestamptz", "double precision": "float8"}


def _copy_type(field: models.Field[Any, Any]) -> str:
    """The PostgreSQL type name psycopg needs for a column in a binary COPY ('varchar(40)' is
    'varchar': the length is checked by the server all the same)."""
    name = str(field.db_type(connection)).split("(")[0].strip()
    return _COPY_TYPES.get(name, name)


def insert_objects(objs: Sequence[models.Model]) -> None:
    """``insert_rows`` for instances built in memory; pks that are None stay None (no RETURNING)."""
    if not objs:
        return
    model = type(objs[0])
    with_pk = objs[0].pk is not None
    # auto_now(_add) fields are left to _insert_values (one time stamp for the call); other
    # fields with their own pre_save (files) keep it; the rest are read straight off the objects
    fields = [
        f
        for f in model._meta.concrete_fields
        if (with_pk or not f.primary_key)
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]
    plain = (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)
    special = [i for i, f in enumerate(fields) if type(f).pre_save not in plain]
    getter = attrgetter(*(f.attname for f in fields))
    values = [getter(obj) for obj in objs]
    if len(fields) == 1:
        values = [(value,) for value in values]
    if special:
        values = [
            tuple(
                fields[i].pre_save(obj, True) if i in special else value
                for i, value in enumerate(row)
            )
            for obj, row in zip(objs, values, strict=True)
        ]
    _insert_values(model, fields, values)


def create_objects(objs: Sequence[models.Model]) -> None:
    """Insert new instances and give them their pks, for callers that need the ids at once.

    The ids are reserved first (``reserve_ids``), then the rows go in by ``COPY`` (PostgreSQL) or
    ``executemany`` (SQLite); ``bulk_create`` would send one huge ``INSERT ... RETURNING`` that
    psycopg must assemble and the server parse.
    """
    if not objs:
        return
    for obj, pk in zip(objs, reserve_ids(type(objs[0]), len(objs)), strict=True):
        obj.pk = pk
    insert_objects(objs)
    for obj in objs:
        obj._state.adding = False


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys of ``model``, taken now so that rows can refer to each other
    (or be decided on) before they are written; nobody else will be given them.

    PostgreSQL: from the table's sequence. SQLite: the AUTOINCREMENT counter in
    ``sqlite_sequence`` is moved on by ``count`` in one statement, which takes the database's
    write lock, so a concurrent writer cannot take the same numbers.
    """
    if count <= 0:
        return []
    meta = model._meta
    table, column = meta.db_table, meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the sequence is looked up once: as an argument of nextval() it would be per row
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            (sequence,) = cursor.fetchone()
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return [pk for (pk,) in cursor.fetchall()]
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s RETURNING seq",
            [count, table],
        )
        row = cursor.fetchone()
        if row is None:  # nothing was ever inserted: the counter does not exist yet
            quote = connection.ops.quote_name
            cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")
            (highest,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, highest + count]
            )
            last = highest + count
        else:
            (last,) = row
    return list(range(last - count + 1, last + 1))

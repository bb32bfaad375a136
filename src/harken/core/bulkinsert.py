"""`insert`: `Model.objects.bulk_create(objs)` for the hot bulk paths (imports, batch creates), cheaper.

Django's bulk_create compiles each value through its generic SQL compiler (expression checks,
placeholders, parameter flattening): at ~20 fields × 500 rows that is most of an import chunk's CPU
(docs/benchmarks.md, "Import throughput"). This does what the compiler does for plain values — each
field's `pre_save` (auto_now) and `get_db_prep_save` (the backend's adaptation), in field order — and
builds multi-row INSERTs as large as the database allows (Django caps SQLite at 999 parameters per
statement; SQLite ≥ 3.32 takes 32,766). On PostgreSQL it builds the statement bulk_create builds
there, `INSERT … SELECT * FROM UNNEST(%s::type[], …)` (one array per column), from the same prepared
values. Models with database defaults, generated fields, a non-auto primary key or a placeholder
other than `%s`, objects that already have a primary key, and backends that cannot return ids from a
multi-row INSERT, go through bulk_create. No signals are sent (as with bulk_create).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BinaryField,
    BooleanField,
    CharField,
    EmailField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallAutoField,
    SmallIntegerField,
    TextField,
    URLField,
)

M = TypeVar("M", bound=Model)

MAX_ROWS = 1000  # rows per INSERT statement
UNNEST_ROWS = 5000  # rows per PostgreSQL UNNEST insert (one array parameter per column)
MAX_PARAMS = 32766  # parameters per statement (SQLite's default limit since 3.32; PostgreSQL allows 65,535)


def _plain(model: type[Model]) -> bool:
    opts = model._meta
    if not isinstance(opts.pk, AutoField | BigAutoField | SmallAutoField):
        return False
    fields: list[Any] = list(opts.concrete_fields)
    return not any(f.has_db_default() or getattr(f, "generated", False) for f in fields)


_AS_IS: dict[type[Field[Any, Any]], type] = {
    CharField: str,
    TextField: str,
    EmailField: str,
    URLField: str,
    BooleanField: bool,
    IntegerField: int,
    BigIntegerField: int,
    PositiveIntegerField: int,
    PositiveSmallIntegerField: int,
    SmallIntegerField: int,
}


def _passes_as_is(field: Any) -> type | None:
    """The Python type whose values the backend takes unchanged for this field (None: always adapt).

    Only these exact field classes (a subclass may adapt its values); a foreign key to an integer
    primary key passes ints. Datetimes, decimals, JSON, UUIDs always go through get_db_prep_save."""
    if isinstance(field, ForeignKey):
        target = field.target_field
        return int if type(target) in (AutoField, BigAutoField, SmallAutoField) else None
    return _AS_IS.get(type(field))


def _param_limit(connection: Any) -> int:
    if connection.vendor == "sqlite":
        try:
            import sqlite3

            connection.ensure_connection()
            return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        except Exception:  # an old sqlite3 module without getlimit: Django's own, safe limit
            return int(connection.features.max_query_params or 999)
    return MAX_PARAMS


def insert(model: type[M], objs: Sequence[M], *, returning: bool = True) -> Sequence[M]:
    """INSERT `objs` (new, unsaved, plain values only); with `returning`, set their primary keys."""
    if not objs:
        return objs
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    pk = opts.pk
    assert pk is not None
    fields = [f for f in opts.concrete_fields if f is not pk]
    unnest = connection.vendor == "postgresql" and len(objs) > 1 and _unnestable(fields, connection)
    if (
        not _plain(model)
        or (returning and not connection.features.can_return_rows_from_bulk_insert)
        or not _plain_placeholders(fields, connection)
        or any(obj.pk is not None for obj in objs)
    ):
        return model._default_manager.bulk_create(list(objs))
    plain = [_passes_as_is(f) for f in fields]
    rows: list[list[Any]] = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        row = []
        for f, as_is in zip(fields, plain, strict=True):
            value = f.pre_save(obj, True)
            if value is None or type(value) is as_is:
                row.append(value)  # what get_db_prep_save would return anyway
            elif hasattr(value, "resolve_expression"):
                raise TypeError(f"{model.__name__}.{f.name}: insert() takes plain values, not expressions")
            else:
                row.append(f.get_db_prep_save(value, connection))
        rows.append(row)
    qn = connection.ops.quote_name
    tail = f" RETURNING {qn(pk.column)}" if returning else ""
    if unnest:
        _insert_unnest(connection, opts.db_table, fields, rows, tail, objs if returning else None)
    else:
        # identifiers come from the model (quoted), every value is a parameter
        head = f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "  # noqa: S608
        _insert_values(connection, head, tail, len(fields), rows, objs if returning else None)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _plain_placeholders(fields: list[Any], connection: Any) -> bool:
    """Every value goes in as a plain `%s` (a binary field's placeholder is `%s` on PostgreSQL and SQLite)."""
    return all(
        not hasattr(f, "get_placeholder")
        or (isinstance(f, BinaryField) and connection.ops.binary_placeholder_sql(None) == "%s")
        for f in fields
    )


def _unnestable(fields: list[Any], connection: Any) -> bool:
    """The fields PostgreSQL's UNNEST insert takes as typed arrays (Django's own conditions for it)."""
    return not any(hasattr(f, "get_placeholder") for f in fields) and all(
        (f.target_field if f.is_relation else f).get_internal_type() in connection.data_types for f in fields
    )


def _insert_unnest(
    connection: Any, table: str, fields: list[Any], rows: list[list[Any]], tail: str, objs: Sequence[Model] | None
) -> None:
    """PostgreSQL: `INSERT … SELECT * FROM UNNEST(%s::type[], …)` — one array parameter per column, as
    Django's bulk_create builds it (rows in order, so RETURNING gives the ids in the objects' order),
    without its per-value compiler. Array types without length (varchar[]: no truncation)."""
    qn = connection.ops.quote_name
    casts = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
    sql = (
        f"INSERT INTO {qn(table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608 (names from _meta)
        f"SELECT * FROM UNNEST({casts}){tail}"
    )
    ids: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UNNEST_ROWS):
            cursor.execute(sql, [list(column) for column in zip(*rows[start : start + UNNEST_ROWS], strict=True)])
            if objs is not None:
                ids += [r[0] for r in cursor.fetchall()]
    if objs is not None:
        _set_ids(objs, ids)


def _set_ids(objs: Sequence[Model], ids: list[Any]) -> None:
    pk = objs[0]._meta.pk
    assert pk is not None
    for obj, pk_value in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, pk_value)


def _insert_values(
    connection: Any, head: str, tail: str, width: int, rows: list[list[Any]], objs: Sequence[Model] | None
) -> None:
    """Multi-row `INSERT … VALUES (…), (…)` as large as the backend's parameter limit allows."""
    one = "(" + ", ".join(["%s"] * width) + ")"
    size = max(1, min(MAX_ROWS, _param_limit(connection) // max(1, width)))
    ids: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, [v for row in batch for v in row])
            if objs is not None:
                ids += [r[0] for r in cursor.fetchall()]
    if objs is not None:
        _set_ids(objs, ids)

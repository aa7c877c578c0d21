"""Inserting many rows at once, through the column types but without per-row statement overhead.

SQLAlchemy's Core ``executemany`` builds a parameter dictionary and runs every column's bind processor for every
row; for an import of 100,000 rows that bookkeeping cost more than the database's own work. :func:`insert_rows`
runs the same bind processors (so ``SealedAnswers`` still seals personal answers, ``UTCDateTime`` still refuses
naive datetimes) but applies a value shared by all rows (a chunk's timestamp, a default) once, then hands plain
tuples to the driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Table, insert

_MISSING = object()


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], shared: dict[str, Any] | None = None,
                processed: Iterable[str] = ()) -> None:
    """Insert ``rows`` (dicts by column name; a column absent from a row is NULL) plus the ``shared`` values and
    the Python-side defaults of the columns neither gives, in the caller's transaction. The ``processed`` columns'
    values already went through their type's bind processor (a caller that prepares them before its
    transaction)."""
    done = set(processed)
    if not rows:
        return
    dialect = conn.dialect
    shared = dict(shared or {})
    shapes = {tuple(row) for row in rows}  # rows mostly share one shape: each shape's keys are looked at once
    keys = [key for key in dict.fromkeys(itertools.chain.from_iterable(shapes)) if key not in shared]
    for column in table.columns:
        if column.name not in keys and column.name not in shared and (value := _default(column)) is not _MISSING:
            shared[column.name] = value
    names = keys + list(shared)
    statement = None
    if dialect.name != "postgresql":  # the driver's parameter order: the compiled statement's
        statement, order = _compiled(table, dialect, tuple(names))
        names = list(order)
    constants = {name: _apply(_processor(table.c[name], dialect), value) for name, value in shared.items()}
    typed = [(i, process) for i, name in enumerate(names)
             if name not in constants and name not in done and (process := _processor(table.c[name], dialect)) is not None]
    template = [constants.get(name) for name in names]
    wanted = [(i, name) for i, name in enumerate(names) if name not in constants]
    exact = len(shapes) == 1 and len(next(iter(shapes))) == len(wanted) and not constants.keys() & set(next(iter(shapes)))
    values: list[tuple[Any, ...]] = []
    for row in rows:
        cells = list(template)
        if exact:  # every row has exactly the wanted keys
            for i, name in wanted:
                cells[i] = row[name]
        else:
            for i, name in wanted:
                cells[i] = row.get(name)
        for i, process in typed:  # only the columns whose type converts (sealing, JSON, instants)
            if cells[i] is not None:
                cells[i] = process(cells[i])
        values.append(tuple(cells))
    if statement is None:
        quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
        raw: Any = conn.connection.dbapi_connection  # psycopg's connection: COPY is its own API
        with raw.cursor() as cursor, cursor.copy(f"COPY {dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN") as copy:
            for line in values:
                copy.write_row(line)
        return
    conn.exec_driver_sql(statement, values)


@lru_cache(maxsize=256)
def _compiled(table: Table, dialect: Any, names: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The INSERT of these columns and its parameters' order, compiled once per table and shape (a bulk import
    inserts a hundred chunks of the same shape; compiling is a millisecond each time)."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
    return compiled.string, tuple(compiled.positiontup or ())


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None or not getattr(default, "is_scalar", False) and not getattr(default, "is_callable", False):
        return _MISSING
    return default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]


def _processor(column: Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _apply(process: Callable[[Any], Any] | None, value: Any) -> Any:
    return value if process is None or value is None else process(value)

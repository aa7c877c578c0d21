"""Dialect-specific statements both backends support with the same meaning."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Text, TypeDecorator, any_, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal


def upsert_insert(session: Session, model: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` with ``ON CONFLICT`` support for the session's dialect (SQLite ≥ 3.24 and PostgreSQL)."""
    return postgresql.insert(model) if _dialect(session) == "postgresql" else sqlite.insert(model)


def insert_if_absent(session: Session, model: type[Any], values: dict[str, Any], key: list[str]) -> bool:
    """``INSERT ... ON CONFLICT (key) DO NOTHING``; True when the row was new. Atomic under concurrency."""
    # RETURNING yields a row only for an inserted row; rowcount is not reliable for this across drivers.
    column = getattr(model, key[0])
    statement = upsert_insert(session, model).values(**values).on_conflict_do_nothing(index_elements=key)
    return session.execute(statement.returning(column)).first() is not None


def lock_keys(session: Session, *keys: str) -> None:
    """Serialize transactions working on the same logical keys until commit.

    PostgreSQL takes transaction-scoped advisory locks (in a fixed order, so two transactions cannot
    deadlock); SQLite needs nothing because a write transaction (BEGIN IMMEDIATE) already excludes every
    other writer.
    """
    if _dialect(session) != "postgresql":
        return
    for key in sorted(set(keys)):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(number)))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


class _JSONList(TypeDecorator[list[Any]]):
    """A list bound as one JSON text (for SQLite's ``json_each``)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else json.dumps(list(value))


class ArrayLiteral(TypeDecorator[list[Any]]):
    """A list bound as the text of a PostgreSQL array (``{1,2}``, ``{"a","b"}``), cast to the array type in SQL.

    psycopg dumps a list parameter element by element in Python (1.7 ms for a thousand names); joining the text
    here costs a tenth of that, and the server parses it as it would the array. Elements go through the element
    type's own bind processor first, then must be integers, strings or None. The parameter goes untyped (no
    ``::VARCHAR``): the cast then reads it as a constant array the planner sees, as psycopg's own array was."""

    impl = NullType
    cache_ok = True

    def __init__(self, element: Any) -> None:
        super().__init__()
        self.element = element

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        process = self.element.dialect_impl(dialect).bind_processor(dialect)
        return "{" + ",".join(_array_item(v if process is None else process(v)) for v in value) + "}"


def _array_item(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"an array literal holds integers and strings, not {type(value).__name__}")
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pg_array(key: str | None, values: Any, element: Any) -> ColumnElement[Any]:
    """``CAST(:key AS element[])``: a PostgreSQL array parameter bound as its text (see :class:`ArrayLiteral`)."""
    return cast(bindparam(key, values, type_=ArrayLiteral(element)), ARRAY(element))


class _AnyOf(ColumnElement[bool]):
    """``column IN (…)`` with its renderings ready: an expanding list, one PostgreSQL array, one SQLite JSON text."""

    inherit_cache = True
    type = NullType()  # type: ignore[assignment]  # Boolean would make SQLite compare the predicate with 1
    _traverse_internals = [  # noqa: RUF012  (SQLAlchemy's own attribute: a class-level list)
        ("column", InternalTraversal.dp_clauseelement), ("listed", InternalTraversal.dp_clauseelement),
        ("array", InternalTraversal.dp_clauseelement), ("json", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any], listed: BindParameter[Any], array: ColumnElement[Any],
                 json: BindParameter[Any]) -> None:
        self.column, self.listed, self.array, self.json = column, listed, array, json


def any_of(column: ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[Any] | str) -> ColumnElement[bool]:
    """``column IN (values)`` with one parameter however many values: PostgreSQL receives ``column = ANY(:array)``,
    SQLite ``column IN (SELECT value FROM json_each(:json))`` (an IN list is rendered, bound and parsed value by
    value; a bulk import asks with a thousand ids per chunk). ``values`` may instead name a parameter given when
    the statement runs."""
    key, value = (values, None) if isinstance(values, str) else (None, list(values))
    expression = column.expression
    listed: BindParameter[Any] = bindparam(key, value, expanding=True, type_=expression.type)
    return _AnyOf(expression, listed, pg_array(key, value, expression.type), bindparam(key, value, type_=_JSONList()))


@compiles(_AnyOf)
def _listed(element: _AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.listed), **kw)


@compiles(_AnyOf, "sqlite")
def _json(element: _AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} IN (SELECT value FROM json_each({compiler.process(element.json, **kw)}))"


@compiles(_AnyOf, "postgresql")
def _array(element: _AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column == any_(element.array), **kw)

"""``any_of``: an IN list that PostgreSQL receives as one array parameter, with the same rows as IN on both."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, String, delete, event, func, select
from sqlalchemy.exc import StatementError

from storage.db import Database
from storage.models import Region, RegionLevel, TimeZone
from storage.repositories.sql import any_of, pg_array


def test_any_of_selects_what_in_selects_with_one_parameter(db: Database, backend: str) -> None:
    codes = [f"99.{n:02d}" for n in range(1, 60)]
    with db.write() as session:
        session.add_all(Region(code=code, level=RegionLevel.KABUPATEN, kind="kabupaten", name=f"Kabupaten {code}",
                                   timezone=TimeZone.WIB) for code in codes)
    statements: list[tuple[str, object]] = []
    event.listen(db.engine, "before_cursor_execute", lambda _c, _cur, sql, params, _ctx, _many: statements.append((sql, params)))
    wanted = codes[::3] + ["99.99"]
    with db.read() as session:
        found = session.scalars(select(Region.code).where(any_of(Region.code, wanted))).all()
        named = session.scalars(select(Region.code).where(any_of(Region.code, "codes")), {"codes": wanted[:2]}).all()
        empty = session.scalars(select(Region.code).where(any_of(Region.code, []))).all()
    assert sorted(found) == sorted(codes[::3]) and sorted(named) == sorted(wanted[:2]) and empty == []
    sql, params = next((sql, params) for sql, params in statements if "FROM regions" in sql)
    if backend == "postgresql":  # one parameter, not twenty-one placeholders to render, bind and parse
        literal = "{" + ",".join(f'"{code}"' for code in wanted) + "}"  # the array's text: psycopg's dumper is slow
        assert "= ANY (CAST(" in sql and sql.count("%(") == 1 and list(params.values()) == [literal]  # type: ignore[attr-defined]
    else:
        assert "json_each(?)" in sql and sql.count("?") == 1
    with db.write() as session:
        session.execute(delete(Region).where(any_of(Region.code, codes)))
    with db.read() as session:
        assert session.scalars(select(Region.code).where(Region.code.like("99.%"))).all() == []


def test_an_array_parameter_keeps_every_value_as_it_was(db: Database, backend: str) -> None:
    """Quotes, backslashes, braces, commas, the word NULL and an absent value survive the array's text."""
    if backend != "postgresql":
        pytest.skip("the array's text is PostgreSQL's")
    odd = ['a "quoted" name', "back\\slash", "{braces}", "co,mma", "NULL", "", "  spaced  ", "Ñoño ß", None]
    with db.read() as session:
        back = session.execute(select(func.array_length(pg_array("v", odd, String()), 1), pg_array("v", odd, String()))).one()
        numbers = session.scalar(select(pg_array("n", [3, -1, 2**40], BigInteger())))
    assert back == (len(odd), odd) and numbers == [3, -1, 2**40]
    with pytest.raises(StatementError, match="integers and strings"), db.read() as session:
        session.execute(select(pg_array("d", [1.5], String())))

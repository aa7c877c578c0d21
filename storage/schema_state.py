"""Which migration a database is at, upgrading it, and refusing to run on an outdated schema.

The migrations ship inside the package (``storage/migrations``) and are driven from here, so the bot and
``ats-bot db upgrade`` need no ``alembic.ini``. The bot's start-up check reads the revision ids from the
migration files and the stamped revision with one query, without importing Alembic (about 10 MB of a bot
that never migrates); upgrading uses Alembic itself.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from storage.db import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
UPGRADE_COMMAND = "ats-bot db upgrade"


class SchemaBehindError(RuntimeError):
    """The database needs ``ats-bot db upgrade`` before the bot may use it."""

    def __init__(self, current: str | None, head: str) -> None:
        super().__init__(
            f"The database schema is behind (at {current or 'nothing: an empty database'}, needs {head}). "
            f"Run: {UPGRADE_COMMAND}"
        )
        self.current, self.head = current, head


class SchemaUnknownError(RuntimeError):
    """The database was migrated by a newer (or different) version of the bot than this one."""


def alembic_config(url: str | URL | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.attributes["url"] = str(url) if isinstance(url, str) else url.render_as_string(hide_password=False)
    return config


@cache
def _revisions() -> dict[str, tuple[str, ...]]:
    """Each migration's revision id → the revisions it follows, read from the files' ``revision`` and
    ``down_revision`` assignments (as Alembic reads them, without running the files)."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        values = _assigned(_header(path.read_text(encoding="utf-8")), ("revision", "down_revision"))
        if "revision" in values:
            down = values.get("down_revision")
            follows = down if isinstance(down, (tuple, list)) else () if down is None else (down,)
            found[str(values["revision"])] = tuple(str(d) for d in follows)
    return found


def _header(source: str) -> ast.Module:
    """The statements of a migration before its first function or class, where Alembic's template puts the
    revision ids: parsing only those keeps the bot's start-up from building (and leaving behind in the
    allocator) the syntax trees of every migration's body. The whole file when the cut is not valid Python."""
    cut = re.search(r"^(?:async def|def|class|@)", source, flags=re.MULTILINE)
    if cut is not None:
        try:
            return ast.parse(source[: cut.start()])
        except SyntaxError:  # the cut fell inside a string: read the whole file
            pass
    return ast.parse(source)


def _assigned(module: ast.Module, names: tuple[str, ...]) -> dict[str, object]:
    """The literal values a module assigns to ``names`` at its top level."""
    values: dict[str, object] = {}
    for statement in module.body:
        targets: list[ast.expr]
        if isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        elif isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                values[target.id] = ast.literal_eval(value)
    return values


def head_revision() -> str:
    """The newest revision: the one no other revision follows (the chain has exactly one)."""
    revisions = _revisions()
    followed = {down for downs in revisions.values() for down in downs}
    heads = sorted(set(revisions) - followed)
    if len(heads) != 1:
        raise RuntimeError(f"storage/migrations must have one head, not {heads}")
    return heads[0]


def current_revision(url: str | URL) -> str | None:
    """The revision stamped in the database, None for a database never migrated."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Create or upgrade the database schema (creating a SQLite file and its directory if needed); refuses a
    database that a newer version of the bot migrated."""
    current = current_revision(url)
    if current is not None and current not in known_revisions():
        raise SchemaUnknownError(_unknown(current))
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def known_revisions() -> set[str]:
    return set(_revisions())


def _unknown(current: str) -> str:
    return (f"The database schema is at revision {current}, which this version of ATS Bot does not know "
            f"(it needs {head_revision()}). Was the database upgraded by a newer version of the bot?")


def ensure_current(url: str | URL) -> None:
    """Raise unless the database is exactly at this code's head revision (the bot's start-up check)."""
    current, head = current_revision(url), head_revision()
    if current == head:
        return
    if current is None or current in known_revisions():
        raise SchemaBehindError(current, head)
    raise SchemaUnknownError(_unknown(current))

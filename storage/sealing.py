"""Encryption at the storage boundary: column types that seal personal values on write and open them on read.

Every writer (chat, ``ats-bot import``, rosters, bulk imports, Core ``insert``/``update`` statements alike) goes
through these column types, so none of them encrypts anything itself:

- ``SealedAnswers`` (responses.answers): each answer whose question id is declared ``personal: true`` in an
  instrument (``flows/instruments/*.yaml``), at any depth (repeat groups), becomes ``{"$sealed": "<key id>.<token>"}``;
  other answers stay readable by SQL.
- ``SealedJSON`` (draft state, GPS positions): the whole value is sealed.
- ``SealedText`` (phone numbers): the text is sealed.

The key ring is the one given to :class:`storage.db.Database`, bound to its engine. Values written before
encryption existed (clear JSON) are read as they are; the migration ``0009_encryption`` seals them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from storage.crypto import SEALED, Keyring, is_sealed
from storage.types import JSONType

_TEXT_PREFIX = "$sealed:"


class NoKeyError(RuntimeError):
    """Personal data was written or read through a database opened without a key ring."""


def bind_keyring(engine: Engine, keyring: Keyring) -> None:
    """Make ``keyring`` seal and open the personal columns of everything this engine executes."""
    engine.dialect.ats_keyring = keyring  # type: ignore[attr-defined]


def keyring_of(dialect: Dialect) -> Keyring:
    keyring = getattr(dialect, "ats_keyring", None)
    if keyring is None:
        raise NoKeyError("personal data needs the data key: open the database with a key ring (storage.startup)")
    return keyring  # type: ignore[no-any-return]


@cache
def personal_answer_keys() -> frozenset[str]:
    """Question ids declared personal by any instrument (flows is pure data here: no database, no Telegram)."""
    from flows.personal import personal_question_ids

    return personal_question_ids()


_NESTED = frozenset((dict, list))


def seal_answers(value: Any, keyring: Keyring, personal: frozenset[str] | None = None) -> Any:
    """Answers with every personal one sealed (inside repeat groups too); already sealed values are kept."""
    keys = personal_answer_keys() if personal is None else personal
    if isinstance(value, dict) and _NESTED.isdisjoint(map(type, value.values())):
        out = dict(value)  # a form without repeat groups (every imported row): only its personal keys to look at
        for key in keys & value.keys() if len(value) < len(keys) else (k for k in value if k in keys):
            item = value[key]
            if item is not None and not is_sealed(item):
                out[key] = keyring.seal(item)
        return out
    return _walk(value, lambda key, item: keyring.seal(item) if key in keys and item is not None and not is_sealed(item) else None)


def open_answers(value: Any, keyring: Keyring | Callable[[], Keyring]) -> Any:
    """Answers with every sealed value opened (``keyring`` may be a function, asked only if something is sealed)."""
    ring: Callable[[], Keyring] = (lambda: keyring) if isinstance(keyring, Keyring) else keyring
    return _walk(value, lambda _key, item: ring().open(item) if is_sealed(item) else None)


def _walk(value: Any, change: Callable[[str, Any], Any]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            changed = change(key, item)
            if changed is not None:
                out[key] = changed
            else:
                out[key] = _walk(item, change) if isinstance(item, (dict, list)) else item
        return out
    if isinstance(value, list):
        return [_walk(item, change) for item in value]
    return value


class SealedAnswers(TypeDecorator[Any]):
    """JSON whose personal answers are sealed (see the module docstring)."""

    impl = JSONType
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else seal_answers(value, keyring_of(dialect))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else open_answers(value, lambda: keyring_of(dialect))


class SealedJSON(TypeDecorator[Any]):
    """JSON sealed as a whole."""

    impl = JSONType
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None or is_sealed(value) else keyring_of(dialect).seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return keyring_of(dialect).open(value) if is_sealed(value) else value


class SealedText(TypeDecorator[str]):
    """Text sealed as ``$sealed:<key id>.<token>``."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value.startswith(_TEXT_PREFIX):
            return value
        return _TEXT_PREFIX + keyring_of(dialect).seal(value)[SEALED]

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(_TEXT_PREFIX):
            return value
        return str(keyring_of(dialect).open({SEALED: value[len(_TEXT_PREFIX) :]}))

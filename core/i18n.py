"""Translations from the Babel catalogs in ``locales/``: one ``Translations`` object per language, never global.

Two domains: ``messages`` (the bot's own words; English message ids) and ``instruments`` (questionnaire
labels; the Indonesian text of the guide is the message id). Catalogs are compiled from the ``.po`` files in
memory when first used, so a checkout runs without a build step: read straight into the binary form gettext
loads (:func:`compile_po`), without Babel's catalog objects, whose parse of the three languages' files left the
bot's process megabytes larger than the translations it keeps.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from core.languages import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES

__all__ = ["DEFAULT_LANGUAGE", "DOMAINS", "LANGUAGES", "LANGUAGE_NAMES", "LOCALES_DIR", "Translator", "translator"]

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAINS = ("messages", "instruments")


@cache
def _catalog(language: str, domain: str) -> NullTranslations:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return NullTranslations()
    return Translations(io.BytesIO(compile_po(path.read_text(encoding="utf-8"))), domain=domain)


_ESCAPE = re.compile(r'\\(.)')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unquote(line: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), line.strip()[1:-1])


def compile_po(text: str) -> bytes:
    """A ``.po`` file's text as a GNU ``.mo`` file, as Babel's ``read_po`` then ``write_mo`` make it: the header
    and every translated message that is neither fuzzy nor obsolete; a plural's empty forms fall back to its ids
    (a plural is kept even when none of its forms is translated, as Babel keeps it)."""
    entries: list[dict[str, str]] = []
    entry: dict[str, str] = {}
    key = ""
    fuzzy = False

    def close() -> None:
        nonlocal entry, fuzzy
        if "msgid" in entry and not (fuzzy and entry["msgid"]):
            entries.append(entry)
        entry, fuzzy = {}, False

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            if entry.get("msgid") is not None and any(k.startswith("msgstr") for k in entry):
                close()
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        if line.startswith('"'):
            entry[key] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in entry):
            close()
        key = keyword
        entry[key] = _unquote(rest)
    close()
    messages: dict[bytes, bytes] = {}
    for entry in entries:
        msgid = entry["msgid"]
        if "msgid_plural" in entry:
            forms = sorted((int(k[7:-1]), v) for k, v in entry.items() if k.startswith("msgstr["))
            pair = (msgid, entry["msgid_plural"])
            source, translated = "\0".join(pair), "\0".join(v or pair[min(i, 1)] for i, v in forms)
        else:
            source, translated = msgid, entry.get("msgstr", "")
            if not translated and msgid:
                continue
        if "msgctxt" in entry:
            source = entry["msgctxt"] + "\x04" + source
        messages[source.encode()] = translated.encode()
    keys = sorted(messages)
    ids, strs, offsets = bytearray(), bytearray(), []
    for k in keys:
        offsets.append((len(ids), len(k), len(strs), len(messages[k])))
        ids += k + b"\0"
        strs += messages[k] + b"\0"
    keystart = 7 * 4 + 16 * len(keys)
    valuestart = keystart + len(ids)
    table: list[int] = []
    for o1, l1, _, _ in offsets:
        table += [l1, o1 + keystart]
    for _, _, o2, l2 in offsets:
        table += [l2, o2 + valuestart]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    return header + struct.pack(f"{len(table)}i", *table) + bytes(ids) + bytes(strs)


@dataclass(frozen=True)
class Translator:
    """Everything language-dependent a renderer needs, for one language."""

    language: str

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            object.__setattr__(self, "language", DEFAULT_LANGUAGE)

    def __call__(self, message: str, /, **params: Any) -> str:
        """The bot's own words, with ``{placeholders}`` filled (dates and numbers formatted for the language)."""
        text = _catalog(self.language, "messages").gettext(message)
        return text.format(**{k: self.format_value(v) for k, v in params.items()}) if params else text

    def plural(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        text = _catalog(self.language, "messages").ngettext(singular, plural, n)
        return text.format(n=self.number(n), **{k: self.format_value(v) for k, v in params.items()})

    def label(self, text: str) -> str:
        """A questionnaire label (question, option, section, note) in this language."""
        return _catalog(self.language, "instruments").gettext(text) if text else text

    def date(self, day: dt.date, style: str = "long") -> str:
        return _date(day, style, self.language)

    def number(self, value: float) -> str:
        return _number(value, self.language)

    def format_value(self, value: Any) -> str:
        if isinstance(value, dt.date):
            return self.date(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.number(value)
        return str(value)


@lru_cache(maxsize=4096, typed=True)
def _number(value: float, language: str) -> str:
    """A number as the language writes it (remembered: every question's header formats its progress)."""
    return format_decimal(value, locale=language)


@lru_cache(maxsize=4096)
def _date(day: dt.date, style: str, language: str) -> str:
    return format_date(day, format=style, locale=language)


@cache
def translator(language: str | None) -> Translator:
    return Translator(language or DEFAULT_LANGUAGE)

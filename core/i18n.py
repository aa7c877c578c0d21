"""Translations from the Babel catalogs in ``locales/``: one ``Translations`` object per language, never global.

Two domains: ``messages`` (the bot's own words; English message ids) and ``instruments`` (questionnaire
labels; the Indonesian text of the guide is the message id). Catalogs are compiled from the ``.po`` files in
memory when first used, so a checkout runs without a build step.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
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
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


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

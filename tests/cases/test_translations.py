"""Every message of the case workflow is translated (Indonesian, Javanese krama) with the same placeholders."""

from __future__ import annotations

import string

import pytest
from babel.messages.pofile import read_po

from cases import messages
from core.i18n import LOCALES_DIR

IDS = sorted(
    {v for k, v in vars(messages).items() if k.isupper() and isinstance(v, str)}
    | set(messages.STATUS_LABELS.values())
    | set(messages.ACTION_LABELS.values())
)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", ["id", "jv"])
def test_every_case_message_is_translated(language: str) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=language)
    problems = []
    for msgid in IDS:
        entry = catalog.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            problems.append(f"untranslated: {msgid!r}")
        elif not isinstance(entry.string, str) or fields(entry.string) != fields(msgid):
            problems.append(f"placeholders differ: {msgid!r} -> {entry.string!r}")
    assert not problems, (
        "\n".join(problems) + "\nIs 'cases' in PACKAGES of scripts/i18n.py? Then extract, update, translate, check."
    )

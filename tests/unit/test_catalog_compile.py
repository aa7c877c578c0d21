"""The catalogs the bot reads are the ones Babel would compile: :func:`core.i18n.compile_po` against Babel's
``read_po`` + ``write_mo``, on every shipped ``.po`` file and on one that uses what they do not (yet): plurals with
an untranslated form, a fuzzy entry, a context, an obsolete entry, escapes and lines continued."""

from __future__ import annotations

import gettext
import io

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.i18n import LOCALES_DIR, compile_po

SAMPLE = r'''# a comment
msgid ""
msgstr ""
"Language: jv\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

#: bot/texts.py:1
#, python-brace-format
msgid "Hello {name}"
msgstr "Sugeng {name}"

msgid ""
"A long text "
"on two lines with \"quotes\", a\ttab and\na newline"
msgstr ""
"Teks dawa "
"\"kutip\" \\ mundur"

#, fuzzy
msgid "Fuzzy"
msgstr "Ora mesthi"

msgid "Untranslated"
msgstr ""

msgctxt "menu"
msgid "Open"
msgstr "Bukak"

msgid "{n} child"
msgid_plural "{n} children"
msgstr[0] "{n} bocah"
msgstr[1] ""

msgid "{n} day"
msgid_plural "{n} days"
msgstr[0] ""
msgstr[1] ""

#~ msgid "Gone"
#~ msgstr "Ilang"
'''


def _both(text: str, language: str) -> tuple[gettext.GNUTranslations, gettext.GNUTranslations]:
    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(text.encode()), locale=language))
    return gettext.GNUTranslations(io.BytesIO(buffer.getvalue())), gettext.GNUTranslations(io.BytesIO(compile_po(text)))


@pytest.mark.parametrize("path", sorted(LOCALES_DIR.glob("*/LC_MESSAGES/*.po")), ids=lambda p: f"{p.parts[-3]}/{p.stem}")
def test_a_shipped_catalog_compiles_as_babel_compiles_it(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    babel, ours = _both(path.read_text(encoding="utf-8"), path.parts[-3])
    assert {k: v for k, v in ours._catalog.items() if k != ""} == {k: v for k, v in babel._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert len(ours._catalog) > 100  # type: ignore[attr-defined]
    assert [ours.plural(n) for n in range(200)] == [babel.plural(n) for n in range(200)]  # type: ignore[attr-defined]


def test_plurals_fuzzy_context_obsolete_and_escapes_compile_as_babel_compiles_them() -> None:
    babel, ours = _both(SAMPLE, "jv")
    assert {k: v for k, v in ours._catalog.items() if k != ""} == {k: v for k, v in babel._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert ours.gettext("Hello {name}") == "Sugeng {name}" and ours.gettext("Fuzzy") == "Fuzzy" and ours.gettext("Gone") == "Gone"
    assert ours.gettext('A long text on two lines with "quotes", a\ttab and\na newline') == 'Teks dawa "kutip" \\ mundur'
    assert ours.pgettext("menu", "Open") == "Bukak" and ours.ngettext("{n} child", "{n} children", 2) == "{n} children"
    assert ours.ngettext("{n} child", "{n} children", 1) == "{n} bocah" and ours.ngettext("{n} day", "{n} days", 1) == "{n} day"

"""The translation catalogs in ``locales/`` cover every string of the code and of the instruments.

A string added with ``N_("...")`` or to an instrument file and not yet translated fails here. To fix it:
``python scripts/i18n.py extract && python scripts/i18n.py update``, translate the empty or fuzzy entries the
``check`` subcommand lists, then ``python scripts/i18n.py check``.
"""

from __future__ import annotations

import importlib.util
import string
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot import texts
from core.i18n import DOMAINS, LANGUAGES, LOCALES_DIR, translator
from flows import messages
from flows.loader import instrument_names, load_instrument
from flows.structure import OTHER_LABEL

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "i18n.py"
FIX = "run `python scripts/i18n.py extract && python scripts/i18n.py update`, translate, then `python scripts/i18n.py check`"


def placeholders(text: str) -> set[str]:
    """``{name}`` fields as ``str.format`` reads them, plus the paper's ``(Nama)``, which the bot replaces."""
    fields = {f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    return fields | ({"(Nama)"} if "(Nama)" in text else set())


def po(language: str, domain: str) -> Catalog:
    with (LOCALES_DIR / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
        return read_po(fh, locale=language, domain=domain)


def _script() -> ModuleType:
    """``scripts/i18n.py`` loaded as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location("i18n_script", SCRIPT)
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


@pytest.fixture(scope="module")
def pot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fresh POTs extracted from the code and instruments as they are now (``extract --out``), in a temporary
    directory. Extracted in this process: the command line's own path is what ``test_check_subcommand_passes`` runs."""
    out = tmp_path_factory.mktemp("pot")
    assert _script().main(["extract", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def templates(pot_dir: Path) -> dict[str, Catalog]:
    result = {}
    for domain in DOMAINS:
        with (pot_dir / f"{domain}.pot").open("rb") as fh:
            result[domain] = read_po(fh)
    return result


def test_extraction_finds_code_and_instrument_strings(templates: dict[str, Catalog]) -> None:
    found = {domain: {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id} for domain, catalog in templates.items()}
    assert {messages.REQUIRED, messages.NIK_LENGTH, texts.WELCOME, texts.SKIP} <= found["messages"]
    assert OTHER_LABEL in found["instruments"]
    for name in instrument_names():
        instrument = load_instrument(name)
        assert instrument.title in found["instruments"], name
        assert all(section.title in found["instruments"] for section in instrument.sections), name
    assert len(found["instruments"]) > 400


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_string_is_translated(templates: dict[str, Catalog], domain: str, language: str) -> None:
    catalog = po(language, domain)
    problems = []
    for entry in templates[domain]:
        if not entry.id:
            continue
        message = catalog.get(entry.id, entry.context)
        ids = (entry.id,) if isinstance(entry.id, str) else tuple(entry.id)
        if message is None:
            problems.append(f"missing: {ids[0]!r}")
            continue
        strings = (message.string,) if isinstance(message.string, str) else tuple(message.string or ())
        if not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        elif set().union(*map(placeholders, strings)) != set().union(*map(placeholders, ids)):
            problems.append(f"placeholders differ: {ids[0]!r} -> {strings!r}")
    assert not problems, f"{language}/{domain}: {FIX}\n" + "\n".join(problems)


def test_source_language_catalogs_are_identity() -> None:
    for language, domain in (("id", "instruments"), ("en", "messages")):
        assert all(m.string == m.id for m in po(language, domain) if m.id), (language, domain)


def test_check_subcommand_passes(pot_dir: Path) -> None:
    """``python scripts/i18n.py check`` as a command, against the fresh extraction (``scripts/test.sh`` runs it
    with no arguments, extracting again itself)."""
    result = subprocess.run([sys.executable, str(SCRIPT), "check", "--pot-dir", str(pot_dir)],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout


def test_check_reports_missing_empty_fuzzy_and_broken_placeholders() -> None:
    script = _script()
    template = Catalog()
    for text in ("missing", "empty", "fuzzy", "Hello {name}", "Apakah (Nama) sekolah?", "fine {n}"):
        template.add(text)
    catalog = Catalog(locale="jv")
    catalog.add("empty", "")
    catalog.add("fuzzy", "x", flags=["fuzzy"])
    catalog.add("Hello {name}", "Sugeng {nama}")
    catalog.add("Apakah (Nama) sekolah?", "Punapa lare sekolah?")
    catalog.add("fine {n}", "sae {n}")
    found = "\n".join(script.problems(template, catalog))
    for text in ("missing: 'missing'", "untranslated: 'empty'", "fuzzy: 'fuzzy'", "'Hello {name}'", "'Apakah (Nama) sekolah?'"):
        assert text in found
    assert "fine" not in found


@pytest.mark.parametrize(
    ("text", "en"),
    [
        ("Jenis Kelamin", "Sex"),
        ("Perempuan", "Female"),
        ("Sangat Kesulitan", "A lot of difficulty"),
        ("Apakah (Nama) Menggunakan Alat Bantu Dengar?", "Does (Nama) use a hearing aid?"),
        (OTHER_LABEL, "Other, please specify"),
    ],
)
def test_instrument_labels_differ_by_language(text: str, en: str) -> None:
    labels = {language: translator(language).label(text) for language in LANGUAGES}
    assert labels["id"] == text and labels["en"] == en
    assert len(set(labels.values())) == 3, labels
    assert all(("(Nama)" in label) == ("(Nama)" in text) for label in labels.values())


@pytest.mark.parametrize("message", [texts.SKIP, texts.CHOOSE_FORM, messages.REQUIRED, messages.NIK_LENGTH])
def test_messages_differ_by_language(message: str) -> None:
    rendered = {language: translator(language)(message, input="123", count=3) for language in LANGUAGES}
    assert rendered["en"] == message.format(input="123", count=3)
    assert len(set(rendered.values())) == 3, rendered


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_formats(templates: dict[str, Catalog], language: str) -> None:
    """Every translation fills its placeholders with ``str.format`` without error."""
    t = translator(language)
    for entry in templates["messages"]:
        if entry.id and isinstance(entry.id, str):
            values = {name.strip("{}"): "x" for name in placeholders(entry.id)}
            assert t(entry.id, **values) if values else t(entry.id)


@pytest.mark.parametrize(("language", "nplurals"), [("id", 1), ("jv", 1), ("en", 2)])
@pytest.mark.parametrize("domain", DOMAINS)
def test_plural_forms(language: str, nplurals: int, domain: str) -> None:
    catalog = po(language, domain)
    assert catalog.num_plurals == nplurals
    assert catalog.plural_expr == ("0" if nplurals == 1 else "(n != 1)")

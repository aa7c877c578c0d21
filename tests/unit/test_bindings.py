"""Code reaches questions through the roles each instrument binds in its YAML (``bindings:``/``subject:``),
validated at load; no paper code (``"3.6"``, ``"K.1"``) is written in the code that reads the forms."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.errors import InstrumentError
from flows.loader import INSTRUMENT_DIR, bound, instrument_names, load_file, load_instrument, parse_instrument
from flows.roles import ROLES, required_roles
from flows.structure import build_layout
from tests.unit import sources

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("app", "core", "storage", "cases", "reports", "web", "reminders", "bot")
"""Everything but the engine (flows/ reads instruments generically), the tests and the benchmarks."""


def _question_ids() -> frozenset[str]:
    found: set[str] = set()
    for name in instrument_names():
        found |= set(build_layout(load_instrument(name)).nodes)
    for archived in (INSTRUMENT_DIR / "archive").glob("*.yaml"):
        found |= set(build_layout(load_file(archived)).nodes)
    return frozenset(found)


QUESTION_IDS = _question_ids()
_QUOTED_ID = re.compile("'(" + "|".join(re.escape(q) for q in sorted(QUESTION_IDS, key=len, reverse=True)) + ")'")


def paper_codes(source: str | Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant that is a question id, or quotes one inside SQL (``->> '3.6'``), in
    ``source`` (the text of a module, or the path of one of the project's modules)."""
    return [
        (node.lineno, node.value)
        for node in (sources.nodes(source) if isinstance(source, Path) else ast.walk(ast.parse(source)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and (node.value in QUESTION_IDS or _QUOTED_ID.search(node.value))
    ]


def _sources() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (ROOT / folder).rglob("*.py"))


def test_no_paper_codes_in_the_code_that_reads_forms() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}" for path in _sources() for line, text in paper_codes(path)]
    assert found == [], "read these through flows.loader.bound / cases.forms.FormReader:\n" + "\n".join(found)


def test_the_scan_sees_paper_codes() -> None:
    source = 'x = answers.get("3.6")\ny = text("SELECT f.answers ->> \'D.4\' FROM responses")\nz = "3.61"\n'
    assert paper_codes(source) == [(1, "3.6"), (2, "SELECT f.answers ->> 'D.4' FROM responses")]
    assert len(_sources()) > 50


def _bound_calls() -> list[tuple[str, int, str, str]]:
    calls = []
    for path in _sources():
        for node in sources.nodes(path):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bound" and len(node.args) == 2
                    and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)):
                instrument, role = (a.value for a in node.args)  # type: ignore[attr-defined]
                calls.append((str(path.relative_to(ROOT)), node.lineno, instrument, role))
    return calls


def test_every_role_code_reads_is_one_the_loader_requires() -> None:
    """So a form that lacks it is refused at load, not found missing in the middle of a chat or a report."""
    calls = _bound_calls()
    assert len(calls) >= 4
    unrequired = [call for call in calls if call[3] not in required_roles(call[2])]
    assert unrequired == []


def test_shipped_instruments_bind_every_role_the_code_reads() -> None:
    for name in instrument_names():
        instrument = load_instrument(name)
        nodes = build_layout(instrument).nodes
        for role in required_roles(name):
            assert instrument.bound(role) in nodes, (name, role)
    assert bound("pendataan", "category") == "3.6"
    assert bound("kembali-sekolah", "school_npsn") == "K.1"
    assert bound("rekonfirmasi", "desa") == "B.10"  # identity roles come from subject:


def test_code_reads_only_roles_the_loader_checked() -> None:
    with pytest.raises(LookupError, match="code reads the role 'school_npsn' of 'usulan', which flows/roles.py does not list"):
        bound("usulan", "school_npsn")
    with pytest.raises(LookupError, match="'no_such_role'"):
        bound("pendataan", "no_such_role")


def test_an_unbound_role_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="instrument 'usulan' binds no question to the role 'school_npsn'"):
        load_instrument("usulan").bound("school_npsn")


def test_every_role_has_a_meaning_and_real_instruments() -> None:
    names = set(instrument_names())
    for role in ROLES.values():
        assert role.meaning.strip()
        assert set(role.required_by) <= names


# -- the loader refuses broken bindings, naming the file and the key ---------------------------------------------
def _variant(tmp_path: Path, name: str, change: Any) -> Path:
    raw = yaml.safe_load((INSTRUMENT_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / f"{name}-district.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    return message


def test_a_missing_binding_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "pendataan", lambda raw: raw["bindings"].pop("category"))
    message = _refusal(path)
    assert "[pendataan] bindings.category is missing: the code reads the ATS category" in message
    assert "add 'bindings: {category: QUESTION_ID}'" in message


def test_a_missing_identity_role_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "kesediaan", lambda raw: raw["subject"].pop("name"))
    assert "subject.name is missing: the code reads the child's name" in _refusal(path)


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "kembali-sekolah", lambda raw: raw["bindings"].update(school_npsm="K.1"))
    message = _refusal(path)
    assert "bindings.school_npsm is not a role the code reads" in message
    assert "school_npsn" in message  # the known roles are listed


def test_a_binding_to_an_unknown_question_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "monitoring", lambda raw: raw["bindings"].update(still_in_school="C.99"))
    assert "bindings.still_in_school refers to 'C.99', which is not a question of this instrument" in _refusal(path)


def test_an_identity_role_under_bindings_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "usulan", lambda raw: raw["bindings"].update(name="U.1"))
    assert "bindings.name is part of the child's identity — declare it under 'subject:' instead" in _refusal(path)


def test_a_renumbered_district_variant_loads(tmp_path: Path) -> None:
    def renumber(raw: dict[str, Any]) -> None:
        for question in raw["sections"][0]["questions"]:
            question["id"] = question["id"].replace("K.", "KS.")
        raw["bindings"] = {role: qid.replace("K.", "KS.") for role, qid in raw["bindings"].items()}

    instrument = load_file(_variant(tmp_path, "kembali-sekolah", renumber))
    assert instrument.bound("school_npsn") == "KS.1"


def test_a_form_the_code_does_not_read_needs_no_bindings() -> None:
    instrument = load_file(ROOT / "tests" / "fixtures" / "demo.yaml")
    assert instrument.bindings == {}


# -- the documented example ------------------------------------------------------------------------------------
def _documented() -> tuple[dict[str, Any], list[str]]:
    """The README's example instrument and the refusals it quotes."""
    readme = (INSTRUMENT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bindings", 1)[1].split("\n## ", 1)[0]
    example = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert example is not None
    quoted = re.findall(r"`(bindings\.[a-z_]+ [^`]+)`", " ".join(section.split()))
    return yaml.safe_load(example.group(1)), quoted


def test_the_documented_district_variant_loads() -> None:
    raw, _ = _documented()
    instrument = parse_instrument(raw, "README")
    assert [instrument.bound(role) for role in required_roles("kembali-sekolah")] == ["KS.1", "KS.2", "KS.3"]


def test_the_documented_refusals_are_what_the_loader_says() -> None:
    raw, quoted = _documented()
    broken = [
        {**raw, "bindings": {**raw["bindings"], "school_npsm": "KS.1"}},
        {**raw, "bindings": {**raw["bindings"], "class_level": "KS.9"}},
        {**raw, "bindings": {k: v for k, v in raw["bindings"].items() if k != "year_entered"}},
    ]
    assert len(quoted) == len(broken)
    for variant, documented in zip(broken, quoted, strict=True):
        with pytest.raises(InstrumentError) as caught:
            parse_instrument(variant, "README")
        assert documented in " ".join(str(caught.value).split())


def test_the_documented_scan_is_the_one_run() -> None:
    readme = (INSTRUMENT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bindings", 1)[1].split("\n## ", 1)[0]
    assert all(f"`{folder}/`" in section for folder in SCANNED)


def test_an_archived_version_is_read_by_its_own_bindings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A response keeps the version it was filled in: a renumbered new version does not misread it."""
    from cases.forms import FormReader
    from flows import loader
    from flows.registry import engine
    from storage.models import Response

    def old_numbering(raw: dict[str, Any]) -> None:
        raw["version"] = 0
        for question in raw["sections"][0]["questions"]:
            question["id"] = question["id"].replace("K.", "KS.")
        raw["bindings"] = {role: qid.replace("K.", "KS.") for role, qid in raw["bindings"].items()}

    archived = _variant(tmp_path, "kembali-sekolah", old_numbering)
    archived.rename(tmp_path / "kembali-sekolah@0.yaml")
    monkeypatch.setattr(loader, "ARCHIVE_DIR", tmp_path)
    caches = (loader.load_version, loader.bound, engine)
    for cached in caches:
        cached.cache_clear()
    try:
        assert bound("kembali-sekolah", "school_npsn", 0) == "KS.1"
        assert bound("kembali-sekolah", "school_npsn") == "K.1"
        old = Response(instrument="kembali-sekolah", instrument_version=0, answers={"KS.1": "20326543", "K.1": "P9970512"})
        assert FormReader(old).text("school_npsn") == "20326543"
    finally:
        for cached in caches:
            cached.cache_clear()

"""Broken instrument files are refused at load time with errors naming the instrument and question."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.errors import InstrumentError
from flows.loader import instrument_names, load_file, load_instrument

BROKEN = sorted((Path(__file__).parent.parent / "fixtures" / "broken").glob("*.yaml"))


def _expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <message>'"
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_definition_is_refused_with_a_named_error(path: Path) -> None:
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    assert _expected(path) in str(caught.value)
    assert all(p.instrument == "broken" for p in caught.value.problems)


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "spec: 1\nname: two\nversion: 1\ntitle: T\nsource: s\nsections:\n"
        "  - id: '1'\n    title: S\n    questions:\n"
        "      - {id: a, type: select_one, label: A, choices: [{code: 1, label: ''}], jumps: {1: zz}}\n"
        "      - {id: b, type: text, label: B, relevant: {q: nope, answered: true}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    found = {(p.question, p.message.split(" ")[0]) for p in caught.value.problems}
    assert ("a", "option") in found and ("a", "jump") in found and ("b", "relevant") in found


@pytest.mark.parametrize("name", instrument_names())
def test_every_shipped_instrument_loads(name: str) -> None:
    instrument = load_instrument(name)
    assert instrument.name == name
    assert instrument.sections

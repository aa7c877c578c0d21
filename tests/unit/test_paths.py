"""Table-driven path tests: for each instrument, answers in, visited question ids out (one file per skip rule).

The expected paths were written by hand from the guide's skip logic, independently of the engine.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli import main
from flows.loader import instrument_names
from flows.registry import engine
from tests.conftest import TODAY

PATHS = Path(__file__).parent.parent / "fixtures" / "paths"
CASES = sorted(PATHS.glob("*/*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_walk_follows_the_guide(path: Path) -> None:
    case = _load(path)
    report = engine(path.parent.name).check(case["answers"], TODAY)
    assert report.visited == case["visited"], case["description"]
    assert report.stopped_at == case["stopped_at"], (case["description"], report.error)
    assert report.complete == case["complete"]


@pytest.mark.parametrize("name", instrument_names())
def test_every_instrument_has_a_complete_path(name: str) -> None:
    complete = [p for p in CASES if p.parent.name == name and _load(p)["complete"]]
    assert complete, f"{name} needs at least one fixture walking the whole form"


@pytest.mark.parametrize("name", instrument_names())
def test_every_jump_of_the_guide_is_exercised(name: str) -> None:
    """Each (question, answer code) jump appears in some fixture where that answer was given."""
    eng = engine(name)
    given: set[tuple[str, str]] = set()
    for path in (p for p in CASES if p.parent.name == name):
        report = eng.check(_load(path)["answers"], TODAY)
        for qid, value in report.answers.items():
            for code in value if isinstance(value, list) else [value]:
                given.add((qid, str(code)))
    missing = [(n.id, code) for n in eng.layout.nodes.values() for code in (n.question.jumps or {}) if (n.id, code) not in given]
    assert not missing, f"jumps without a fixture: {missing}"


def _walk_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], answers: dict) -> dict:
    """``ats-bot instruments walk pendataan < answers.json``, in this process (the command line's entry point as a
    process is run by test_instruments_cli.py); the printed report."""
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(answers)))
    assert main(["instruments", "walk", "pendataan", "--today", TODAY.isoformat()]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_cli_walk_prints_the_path(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    case = _load(PATHS / "pendataan" / "full.json")
    printed = _walk_cli(monkeypatch, capsys, case["answers"])
    assert printed["visited"] == case["visited"] and printed["complete"] is True and printed["error"] is None


def test_cli_walk_reports_an_invalid_answer(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    answers = {"1.1": "Rina", "1.2": "1", "1.2.nik": "12345"}
    printed = _walk_cli(monkeypatch, capsys, answers)
    assert printed["stopped_at"] == "1.2.nik" and printed["complete"] is False
    assert "16 digits" in printed["error"]
    assert printed["visited"] == ["1.1", "1.2", "1.2.nik"]

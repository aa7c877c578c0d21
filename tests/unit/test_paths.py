"""Table-driven path tests: for each instrument, answers in, visited question ids out (one file per skip rule).

The expected paths were written by hand from the guide's skip logic, independently of the engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_cli_walk_prints_the_path() -> None:
    case = _load(PATHS / "pendataan" / "full.json")
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "instruments", "walk", "pendataan", "--today", TODAY.isoformat()],
        input=json.dumps(case["answers"]), capture_output=True, text=True, check=True,
    )
    printed = json.loads(proc.stdout)
    assert printed["visited"] == case["visited"] and printed["complete"] is True and printed["error"] is None


def test_cli_walk_reports_an_invalid_answer() -> None:
    answers = {"1.1": "Rina", "1.2": "1", "1.2.nik": "12345"}
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "instruments", "walk", "pendataan", "--today", TODAY.isoformat()],
        input=json.dumps(answers), capture_output=True, text=True, check=True,
    )
    printed = json.loads(proc.stdout)
    assert printed["stopped_at"] == "1.2.nik" and printed["complete"] is False
    assert "16 digits" in printed["error"]
    assert printed["visited"] == ["1.1", "1.2", "1.2.nik"]

"""The lifecycle machine, table-driven from ``fixtures/lifecycle.yaml``; pure (no database, no Telegram)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cases import lifecycle
from cases import messages as m
from cases.lifecycle import EVENTS, MACHINE, STATES, Refusal, allowed_events, mermaid, next_status
from core.i18n import translator

ROOT = Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((Path(__file__).parent / "fixtures" / "lifecycle.yaml").read_text(encoding="utf-8"))
LEGAL = [tuple(row) for row in TABLE["legal"]]
ILLEGAL = [tuple(row) for row in TABLE["illegal"]]
REFUSALS = {"illegal": m.ILLEGAL_MOVE, "closed": m.CLOSED_CASE, "unknown": m.UNKNOWN_ACTION}


def test_states_are_exactly_the_issues() -> None:
    assert STATES == (
        "proposed", "recorded", "verified", "not_valid", "accompanied", "willing", "not_willing", "undecided",
        "school_chosen", "back_in_school", "monitored", "graduated", "dropped_out_again", "moved_away", "aged_out",
    )
    assert set(MACHINE.states) == set(STATES)
    assert MACHINE.models == []  # driven with transient models, never add_model


@pytest.mark.parametrize(("current", "event", "expected"), LEGAL, ids=[f"{a}-{e}" for a, e, _ in LEGAL])
def test_legal_move(current: str, event: str, expected: str) -> None:
    assert next_status(current, event) == (current if expected == "same" else expected)
    assert event in allowed_events(current)


def test_the_table_lists_every_legal_move_of_the_machine() -> None:
    machine = {
        (source, event, t.dest or "same")
        for event, ev in MACHINE.events.items()
        for source, transitions in ev.transitions.items()
        for t in transitions
    }
    assert machine == set(LEGAL)
    for state in STATES:
        assert set(allowed_events(state)) == {e for s, e, _ in LEGAL if s == state}


@pytest.mark.parametrize(("current", "event", "kind"), ILLEGAL, ids=[f"{a}-{e}" for a, e, _ in ILLEGAL])
def test_illegal_move_is_refused_with_a_clear_message(current: str, event: str, kind: str) -> None:
    refusal = next_status(current, event)
    assert isinstance(refusal, Refusal)
    assert refusal.message == REFUSALS[kind]
    assert refusal.allowed == allowed_events(current)
    if kind != "unknown":
        assert refusal.params == {"status": current, "action": event}


def test_terminal_states_allow_nothing_and_match_retention() -> None:
    from storage.retention import CLOSED

    assert set(lifecycle.TERMINAL) == set(CLOSED)
    for state in lifecycle.TERMINAL:
        assert allowed_events(state) == ()
    for state in lifecycle.OPEN:
        assert "move_away" in allowed_events(state), state


def test_unknown_status() -> None:
    refusal = next_status("lost", "verify")
    assert isinstance(refusal, Refusal) and refusal.message == m.UNKNOWN_STATUS


def test_refusal_reads_well_in_every_language() -> None:
    refusal = next_status("graduated", "monitor")
    assert isinstance(refusal, Refusal)
    assert refusal.render(translator("en")) == 'This case is closed ("graduated"): "Record monitoring" is no longer possible.'
    assert refusal.render(translator("id")) == 'Kasus ini sudah ditutup ("lulus"): "Catat pemantauan" tidak bisa dilakukan lagi.'
    illegal = next_status("willing", "enrol")
    assert isinstance(illegal, Refusal)
    assert illegal.render(translator("id")) == (
        'Kasus ini berstatus "orang tua bersedia": "Catat kembali bersekolah" belum bisa dilakukan sekarang.')
    assert "{" not in illegal.render(translator("jv"))


def test_every_status_and_event_has_words() -> None:
    assert set(m.STATUS_LABELS) == set(STATES)
    assert set(m.ACTION_LABELS) == set(EVENTS)
    assert lifecycle.NEEDS_REASON <= set(EVENTS)


def test_lifecycle_imports_neither_database_nor_telegram() -> None:
    forbidden = ("telegram", "sqlalchemy", "psycopg", "apscheduler", "storage", "bot", "app", "reminders")
    code = (
        "import sys, json, cases.lifecycle as l\n"
        "l.next_status('proposed', 'record'); l.mermaid()\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert json.loads(out) == []


def test_docs_embed_the_generated_diagram() -> None:
    doc = (ROOT / "docs" / "cases.md").read_text(encoding="utf-8")
    assert "```mermaid\n" + mermaid() + "```" in doc, "regenerate with: python -c 'import cases.lifecycle as l; print(l.mermaid())'"


def test_diagram_has_every_transition() -> None:
    diagram = mermaid()
    assert diagram.startswith("stateDiagram-v2\n")
    for source, event, dest in LEGAL:
        if dest != "same":
            line = next(line for line in diagram.splitlines() if line.strip().startswith(f"{source} --> {dest}:"))
            assert event in line
    assert "reassign" in diagram


def test_docs_embed_the_referral_and_assistance_diagrams() -> None:
    from cases import assistance, referrals
    from cases.programme_steps import mermaid as steps_diagram

    doc = (ROOT / "docs" / "cases.md").read_text(encoding="utf-8")
    assert "```mermaid\n" + steps_diagram(referrals.MOVES, "sent", referrals.CLOSED) + "```" in doc
    assert "```mermaid\n" + steps_diagram(assistance.MOVES, "proposed", assistance.CLOSED) + "```" in doc

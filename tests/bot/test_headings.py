"""Where am I in the form: section titles, labels that need their section, a progress total that stays put, and
the review kept after sending (issue 14 §5, §11)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from app.terminal_chat import run_chat
from bot import texts as T
from core.i18n import translator
from core.presenting import question_header
from flows.engine import Accepted, Complete, State
from flows.registry import engine
from storage.models import Role
from tests.bot.conftest import PATHS, Phone, enrol, path_state, resume_at
from tests.conftest import TODAY

ID = translator("id")
PARENT_SECTION = "YANG BERTANDA TANGAN DI BAWAH INI (ORANG TUA/WALI)"
CHILD_SECTION = "ADALAH ORANG TUA/WALI DARI (ANAK)"


def test_section_title_when_a_section_starts_and_beside_ambiguous_labels(db, conversations) -> None:
    enrol(db, 1201, Role.PENDAMPING)
    phone = Phone(conversations, 1201)
    texts = phone.texts(resume_at(phone, "kesediaan", State()))
    assert texts[-1].startswith(f"【{PARENT_SECTION}】\nA.1 · Nama — {PARENT_SECTION}")  # the title rides with the question
    texts = phone.texts(resume_at(phone, "kesediaan", path_state("kesediaan", "full", "B.1")))
    assert texts[-1].startswith(f"【{CHILD_SECTION}】\nB.1 · Nama — {CHILD_SECTION}")
    echo = phone.texts(phone.send("Budi"))[-1]
    assert echo.startswith(f"B.1 · Nama — {CHILD_SECTION}: Budi ✓\n\nB.2 · ")  # the echo heads the next question
    texts = phone.texts(resume_at(phone, "kesediaan", path_state("kesediaan", "full", "B.2")))
    assert not any("【" in t for t in texts), "the section has started already"


def test_labels_asked_once_stay_plain() -> None:
    eng = engine("pemilihan-sekolah")
    prompt = eng.current(path_state("pemilihan-sekolah", "full", "C.6"), TODAY)
    assert not isinstance(prompt, Complete)
    assert question_header(ID, eng, prompt, None).startswith("C.6 · Alamat — SATUAN PENDIDIKAN YANG DITUJU")
    pendataan = engine("pendataan")
    first = pendataan.current(State(), TODAY)
    assert not isinstance(first, Complete) and " — " not in question_header(ID, pendataan, first, None).split("(")[0]


def test_the_terminal_chat_names_the_sections_too() -> None:
    out = io.StringIO()
    run_chat(engine("kesediaan"), translator("id"), io.StringIO("q\n"), out, TODAY)
    assert f"【{PARENT_SECTION}】" in out.getvalue() and f"A.1 · Nama — {PARENT_SECTION}" in out.getvalue()


def test_the_progress_total_never_moves_within_a_form() -> None:
    eng = engine("pendataan")
    totals, answered = set(), []
    state = path_state("pendataan", "full", "1.1")
    for _ in range(200):
        prompt = eng.current(state, TODAY)
        if isinstance(prompt, Complete):
            break
        progress = re.search(r"(\d+)/(\d+)\D+(\d+)\D*\)$", question_header(ID, eng, prompt, None))
        assert progress
        totals.add(int(progress.group(2)))
        answered.append(int(progress.group(3)))
        value = _answers("pendataan", "full").get(prompt.node.id)
        outcome = eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)
        assert isinstance(outcome, Accepted)
        state = outcome.state
    assert len(totals) == 1 and answered == sorted(answered) and len(answered) > 40


def test_the_review_stays_after_sending(db, conversations) -> None:
    enrol(db, 1202, Role.PENDATA)
    phone = Phone(conversations, 1202)
    resume_at(phone, "usulan", _complete("usulan", "full"))
    review = next(m for m in phone.messages.values() if ID(T.SUBMIT) in m.labels())
    text = review.text
    phone.press(ID(T.SUBMIT), review)
    assert review.text == text and not review.buttons, "the review is kept, only its buttons go"
    assert any(re.search(r"F-3326-\d{6}", t) for t in phone.texts())


def _answers(name: str, fixture: str) -> dict[str, Any]:
    return dict(json.loads((PATHS / name / f"{fixture}.json").read_text(encoding="utf-8"))["answers"])


def _complete(name: str, fixture: str) -> State:
    eng = engine(name)
    raw = _answers(name, fixture)
    report = eng.check(raw, TODAY)
    assert report.complete, report
    state = State()
    while not isinstance(prompt := eng.current(state, TODAY), Complete):
        value = raw.get(prompt.node.id)
        outcome = eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)
        assert isinstance(outcome, Accepted)
        state = outcome.state
    return state

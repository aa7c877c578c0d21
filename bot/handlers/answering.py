"""Answering the current question: typed text, a photo, a location, a press on the question's keyboard, the
date check, warnings, the review and sending the form.

A sent form is recorded on the turn (:attr:`bot.turn.Turn.submitted`); what follows for its instrument is
looked up in :data:`bot.registry.AFTER_SUBMIT` by the dispatcher, after this handler.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot import render as R
from bot import texts as T
from bot.handlers.asking import acknowledge, apply, ask
from bot.handlers.forms import cmd_cancel
from bot.handlers.places import allowed_places, region_scope
from bot.handlers.school_list import offered_schools, school_value
from bot.model import Button, Kind
from bot.store import SubmitRefused
from bot.turn import Menu, Submitted, Turn
from cases.opening import submit_form
from cases.schools import school_by_id, school_by_npsn
from core.places import matching
from core.presenting import display_value, question_label, subject_name
from flows.engine import Accepted, Prompt, Refused, State
from flows.schema import QuestionType, RegionLookup, SchoolField, SchoolLookup
from flows.values import age_on, parse_answer
from storage.models import School

NPSN_TYPED = re.compile(r"^(?:[0-9]{8}|P[0-9]{7})$")
REGION_CODE = re.compile(r"[0-9]{2}(\.[0-9]{2,4}){1,3}")


def on_input(turn: Turn) -> None:
    """Typed text, a photo or a location, as the answer to the current question."""
    prompt = turn.prompt()
    incoming = turn.incoming
    turn.result.outcome = f"answer:{incoming.kind.value}"
    if not isinstance(prompt, Prompt):
        ask(turn)
        return
    navigation = R.typed_navigation(turn.t, incoming.text) if prompt.node.type is QuestionType.LOCATION else None
    if navigation is not None:  # ◀ / Skip / ✖ of the location question's keyboard
        menu_question(turn, navigation, 0, {"position": prompt.position.key})
        return
    if not accepts(prompt, incoming.kind):
        turn.preface(turn.t(T.NOT_AN_ANSWER))
        ask(turn)
        return
    if incoming.problem:
        turn.preface(turn.t(incoming.problem))
        ask(turn)
        return
    raw: Any = incoming.value if incoming.kind in (Kind.PHOTO, Kind.LOCATION) else incoming.text
    if prompt.node.type is QuestionType.DATE and incoming.kind is Kind.TEXT:
        confirm_date(turn, prompt, raw)
        return
    schools = prompt.node.question.schools
    if schools is not None and incoming.kind is Kind.TEXT:
        on_school_text(turn, prompt, schools, raw)
        return
    regions = prompt.node.question.regions
    if regions is not None and incoming.kind is Kind.TEXT:
        on_region_text(turn, prompt, regions, raw)
        return
    apply(turn, turn.engine.answer(turn.state, raw, turn.today), prompt)


def accepts(prompt: Prompt, kind: Kind) -> bool:
    """Whether this kind of message can answer the question: text everywhere but a location or photo question
    also accepts typed input; a location only a location question, a photo only a photo question."""
    if kind is Kind.TEXT:
        return True
    if kind is Kind.LOCATION:
        return prompt.node.type is QuestionType.LOCATION
    if kind is Kind.PHOTO:
        return prompt.node.type is QuestionType.PHOTO
    return False


def confirm_date(turn: Turn, prompt: Prompt, raw: str) -> None:
    """Echo a typed date back in words before saving it: "5 Maret 2012 — umur 14 tahun. Benar?"."""
    value = parse_answer(prompt.node, raw, turn.today)
    if not isinstance(value, str):
        apply(turn, Refused(value), prompt)
        return
    day = dt.date.fromisoformat(value)
    constraint = prompt.node.question.constraint
    if constraint and (constraint.age_min is not None or constraint.age_max is not None):
        text = turn.t(T.CONFIRM_DATE, date=day, age=age_on(day, turn.today))
    else:
        text = turn.t(T.CONFIRM_DATE_PLAIN, date=day)
    nonce = turn.nonce("date", position=prompt.position.key, value=value)
    turn.say(text, [[Button(turn.t(T.YES), R.data(nonce, R.YES)), Button(turn.t(T.CHANGE), R.data(nonce, R.NO))]], live=True)


# -- schools ----------------------------------------------------------------------------------------------
def on_school_text(turn: Turn, prompt: Prompt, lookup: SchoolLookup, text: str) -> None:
    """Typed text at a school question: an NPSN of the list picks it, anything else searches the list."""
    typed = " ".join(text.split())
    if NPSN_TYPED.match(typed.upper()):
        school = school_by_npsn(turn.db, typed)
        if school is not None:
            pick_school(turn, prompt, lookup, school)
            return
        if lookup.listed_only:
            turn.preface("✗ " + turn.t(T.SCHOOL_NOT_LISTED, npsn=typed.upper()))
            ask(turn)
            return
    schools, _ = offered_schools(turn, prompt, typed)
    exact = [s for s in schools if s.name.casefold() == typed.casefold()]
    if len(exact) == 1:
        pick_school(turn, prompt, lookup, exact[0])
    elif schools:
        ask(turn, search=typed)
    elif lookup.listed_only or lookup.answer is not SchoolField.NAME:
        turn.preface("✗ " + turn.t(T.SCHOOL_NONE_FOUND, text=typed))
        ask(turn)
    else:  # a school the district's list does not have yet: kept as typed
        apply(turn, turn.engine.answer(turn.state, typed, turn.today), prompt)


def menu_school(turn: Turn, prompt: Prompt, action: str, index: int, menu: Menu) -> None:
    """A school button (``PICK``) or "use what I typed" (``TYPED``) of the question's keyboard."""
    lookup = prompt.node.question.schools
    assert lookup is not None
    if action == R.TYPED:
        apply(turn, turn.engine.answer(turn.state, menu.get("typed", ""), turn.today), prompt)
        return
    ids = menu.get("schools", [])
    school = school_by_id(turn.db, ids[index]) if index < len(ids) else None
    if school is None:
        turn.result.callback_notice = turn.t(T.QUESTION_CLOSED)
        return
    pick_school(turn, prompt, lookup, school)


def pick_school(turn: Turn, prompt: Prompt, lookup: SchoolLookup, school: School) -> None:
    """Answer the question with the school, then the following questions it also answers (NPSN, address)."""
    outcome = turn.engine.answer(turn.state, school_value(school, lookup.answer), turn.today)
    if not isinstance(outcome, Accepted):
        apply(turn, outcome, prompt)
        return
    turn.save_state(outcome.state)
    acknowledge(turn, prompt, outcome.value)
    for qid, field in lookup.fills.items():
        current = turn.engine.current(turn.state, turn.today)
        value = school_value(school, field)
        if not isinstance(current, Prompt) or current.position.qid != qid or not value:
            break
        answered = turn.engine.answer(turn.state, value, turn.today)
        if not isinstance(answered, Accepted):
            break
        turn.save_state(answered.state)
        label = question_label(turn.t, current.node, subject_name(turn.engine, turn.state.answers))
        turn.preface(turn.t(T.ANSWERED, header=f"{qid} · {label}", value=display_value(turn.t, current.node, answered.value)))
    ask(turn)


# -- places -----------------------------------------------------------------------------------------------
def on_region_text(turn: Turn, prompt: Prompt, lookup: RegionLookup, text: str) -> None:
    """Typed text at a kecamatan/desa question: a listed code or one matching name picks it; else a search."""
    typed = " ".join(text.split())
    places = allowed_places(turn, lookup)
    if REGION_CODE.fullmatch(typed):
        chosen = [p for p in places if p[0] == typed]
        if not chosen:
            scope = region_scope(turn)
            turn.store.audit("region.refused", turn.person.id, "region", typed, scope, {"question": prompt.position.qid})
            turn.preface("✗ " + turn.t(T.REGION_NOT_HERE, code=typed, level=lookup.level.value, area=turn.store.region_name(scope)))
            ask(turn)
            return
    else:
        chosen = matching(places, typed)
    if len(chosen) == 1:
        apply(turn, turn.engine.answer(turn.state, chosen[0][0], turn.today), prompt)
    elif chosen:
        ask(turn, search=typed)
    else:
        turn.preface("✗ " + turn.t(T.REGION_NONE_FOUND, text=typed, level=lookup.level.value))
        ask(turn)


def menu_region(turn: Turn, prompt: Prompt, index: int, menu: Menu) -> None:
    """A place button of the question's keyboard."""
    codes = menu.get("regions", [])
    if index >= len(codes):
        turn.result.callback_notice = turn.t(T.QUESTION_CLOSED)
        return
    apply(turn, turn.engine.answer(turn.state, codes[index], turn.today), prompt)


# -- the question's keyboard and what follows it ------------------------------------------------------------
def menu_question(turn: Turn, action: str, index: int, menu: Menu) -> None:
    prompt = turn.prompt()
    if not isinstance(prompt, Prompt) or prompt.position.key != menu.get("position"):
        turn.result.callback_notice = turn.t(T.QUESTION_CLOSED)
        return
    if action == R.PICK and prompt.node.question.regions is not None:
        menu_region(turn, prompt, index, menu)
    elif action in (R.PICK, R.TYPED) and prompt.node.question.schools is not None:
        menu_school(turn, prompt, action, index, menu)
    elif action == R.CHOICE:
        apply(turn, turn.engine.answer(turn.state, prompt.node.choices[index].code, turn.today), prompt)
    elif action == R.TOGGLE:
        code = prompt.node.choices[index].code
        selected = list(menu.get("selected", []))
        selected = [c for c in selected if c != code] if code in selected else [*selected, code]
        ask(turn, selected=selected, edit=turn.incoming.message_id)
    elif action == R.DONE:
        apply(turn, turn.engine.answer(turn.state, menu.get("selected", []), turn.today), prompt)
    elif action == R.BACK:
        turn.close_pressed()
        turn.save_state(turn.engine.back(turn.state, turn.today))
        ask(turn)
    elif action == R.SKIP:
        apply(turn, turn.engine.skip(turn.state, turn.today), prompt)
    elif action == R.CANCEL:
        turn.close_pressed()
        cmd_cancel(turn, "")


def menu_date(turn: Turn, action: str, index: int, menu: Menu) -> None:
    prompt = turn.prompt()
    if action == R.YES and isinstance(prompt, Prompt) and prompt.position.key == menu["position"]:
        apply(turn, turn.engine.answer(turn.state, menu["value"], turn.today), prompt)
        return
    turn.close_pressed()
    ask(turn)


def menu_warning(turn: Turn, action: str, index: int, menu: Menu) -> None:
    if action == R.KEEP:
        apply(turn, turn.engine.confirm(turn.state, turn.today), None)
        return
    turn.close_pressed()
    target = menu["fixes"][index]
    if index == 0:  # fix the answer just given: type it again
        turn.save_state(turn.engine.discard_pending(turn.state))
    else:  # keep the new answer, then go to the question it disagrees with
        outcome = turn.engine.confirm(turn.state, turn.today)
        if isinstance(outcome, Accepted):
            moved = turn.engine.goto(outcome.state, target, turn.today)
            turn.save_state(moved if isinstance(moved, State) else outcome.state)
    ask(turn)


def menu_review(turn: Turn, action: str, index: int, menu: Menu) -> None:
    if action == R.SUBMIT:
        submit(turn)
    elif action == R.EDIT:
        turn.close_pressed()
        nonce = turn.nonce("edit", draft=turn.draft.id if turn.draft else None)
        turn.say(turn.t(T.EDIT_ASK), [[Button(turn.t(T.BACK), R.data(nonce, R.BACK))]], live=True)
    elif action == R.BACK:
        turn.close_pressed()
        turn.save_state(turn.engine.back(turn.state, turn.today))
        ask(turn)


def menu_edit(turn: Turn, action: str, index: int, menu: Menu) -> None:
    turn.close_pressed()
    ask(turn)


def on_edit_code(turn: Turn, code: str) -> None:
    """The question code typed after "Change an answer" in the review (``3.6``)."""
    turn.result.outcome = "edit-code"
    if turn.draft is None:
        turn.say(turn.t(T.NO_DRAFT))
        return
    moved = turn.engine.goto(turn.state, code.strip(), turn.today)
    if isinstance(moved, Refused):
        nonce = turn.nonce("edit", draft=turn.draft.id)
        turn.say(turn.t(T.EDIT_UNKNOWN, code=code.strip()), [[Button(turn.t(T.BACK), R.data(nonce, R.BACK))]], live=True)
        return
    turn.save_state(moved)
    ask(turn)


def submit(turn: Turn) -> None:
    draft = turn.draft
    assert draft is not None
    try:
        submitted = submit_form(turn.uow, turn.store.submission(turn.person, draft, turn.engine, turn.state))
    except SubmitRefused as refused:
        turn.say(turn.t(T.SUBMIT_FAILED, reason=turn.t(refused.reason)))
        return
    turn.close_pressed()  # the review stays readable above the receipt
    turn.say(turn.t(T.SUBMITTED, reference=submitted.reference))
    turn.changes.active_draft_id = None
    turn.changes.menu = None
    turn.result.outcome = "submitted"
    if not submitted.already_submitted:
        if draft.case_id is None and submitted.case_id is not None and not submitted.child_created:
            turn.say(turn.t(T.ALREADY_FOLLOWED, reference=turn.store.case_reference(submitted.case_id)))
        turn.submitted.append(Submitted(draft.instrument, submitted, draft.case_id or submitted.case_id, dict(turn.state.answers)))

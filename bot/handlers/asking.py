"""Asking a form's questions: the question or the review as a message, saving what the engine decided, and
opening a new form.

The record of a typed answer ("1.4 · Jenis kelamin: Perempuan ✓") and a section's title travel in the same
message as the next question, so an ordinary typed answer costs one Bot API call; a pressed answer turns the
pressed message itself into the record.
"""

from __future__ import annotations

from typing import Any

from bot import render as R
from bot import texts as T
from bot.handlers.consent import consent_missing, privacy_notice
from bot.handlers.places import offered_regions, region_rows
from bot.handlers.school_list import offered_schools, school_rows
from bot.model import Button, Kind, Reply
from bot.turn import Turn
from core.presenting import describe_problem, display_value, qualified_label, section_title, starts_section, subject_name, summary_lines
from flows.engine import Accepted, Complete, NeedsConfirmation, Prompt, Refused, State
from flows.registry import engine as engine_for
from flows.schema import QuestionType

MESSAGE_LIMIT = 3500
"""Telegram allows 4096 characters; the review is split below that."""


def ask(turn: Turn, selected: list[str] | None = None, edit: int | None = None, search: str | None = None) -> None:
    """Send the current question, or the review when every question is answered; ``search`` is text typed
    at a school or place question."""
    prompt = turn.prompt()
    if isinstance(prompt, Complete):
        review(turn)
        return
    if prompt.node.type is QuestionType.SELECT_MULTIPLE and selected is None:
        selected = list(prompt.current or [])
    schools, school_line = offered_schools(turn, prompt, search) if prompt.node.question.schools else ([], None)
    lookup: dict[str, Any] = {"schools": [s.id for s in schools], "typed": search} if school_line is not None else {}
    places, region_line = offered_regions(turn, prompt, search) if prompt.node.question.regions else ([], None)
    if region_line is not None:
        lookup = {"regions": [code for code, _ in places]}
    heading = ""
    if edit is None and starts_section(turn.engine, turn.state.answers, prompt.node):
        heading = f"【{section_title(turn.t, turn.engine, prompt.node)}】\n"
    nonce = turn.nonce("question", position=prompt.position.key, selected=selected or [], **lookup)
    reply = R.question(turn.t, turn.engine, dict(turn.state.answers), prompt, nonce, selected or [])
    if school_line is not None:
        reply.text += "\n" + school_line
        reply.buttons[:0] = school_rows(turn, prompt, nonce, schools, search)
    if region_line is not None:
        reply.text += "\n" + region_line
        reply.buttons[:0] = region_rows(nonce, places)
    if prompt.current is not None and prompt.node.type is not QuestionType.SELECT_MULTIPLE:
        reply.text += "\n[" + display_value(turn.t, prompt.node, prompt.current, turn.place_name) + "]"
    if edit is not None:
        reply.edit_message_id = edit
        turn.edited.add(edit)
    reply.text = heading + reply.text
    turn.reply(reply, prefaced=edit is None)
    turn.result.nonce = nonce


def review(turn: Turn) -> None:
    lines = summary_lines(turn.t, turn.engine, turn.state.answers, turn.engine.summary(turn.state, turn.today), turn.place_name)
    chunks, current = [], turn.t(T.REVIEW)
    for line in lines:
        if len(current) + len(line) + 1 > MESSAGE_LIMIT:
            chunks.append(current)
            current = turn.t(T.REVIEW_MORE)
        current += "\n" + line
    for chunk in chunks:
        turn.say(chunk)
    nonce = turn.nonce("review", draft=turn.draft.id if turn.draft else None)
    buttons = [[Button(turn.t(T.SUBMIT), R.data(nonce, R.SUBMIT)), Button(turn.t(T.EDIT), R.data(nonce, R.EDIT))],
               [Button(turn.t(T.BACK), R.data(nonce, R.BACK))]]
    turn.say(current, buttons, live=True)


def apply(turn: Turn, outcome: Accepted | Refused | NeedsConfirmation, prompt: Prompt | None) -> None:
    """Save what the engine decided and tell the person."""
    if isinstance(outcome, Refused):
        turn.preface("✗ " + describe_problem(turn.t, outcome.problem))
        ask(turn)
        return
    if isinstance(outcome, NeedsConfirmation):
        turn.save_state(outcome.state)
        warn(turn, outcome)
        return
    turn.save_state(outcome.state)
    if prompt is not None:
        acknowledge(turn, prompt, outcome.value)
    ask(turn)


def acknowledge(turn: Turn, prompt: Prompt, value: Any) -> None:
    """A record of the answer ("1.4 · Jenis kelamin: Perempuan ✓"): the pressed message becomes it; a typed
    answer's record goes with the next message."""
    header = f"{prompt.position.qid} · {qualified_label(turn.t, turn.engine, prompt.node, subject_name(turn.engine, turn.state.answers))}"
    text = turn.t(T.ANSWERED, header=header, value=display_value(turn.t, prompt.node, value, turn.place_name))
    if prompt.node.type is QuestionType.LOCATION:
        turn.reply(Reply(text, reply_keyboard=[]))  # also removes the location button
    elif turn.incoming.kind is Kind.CALLBACK and turn.incoming.message_id:
        turn.edit(turn.incoming.message_id, text)
    else:
        turn.preface(text)


def warn(turn: Turn, outcome: NeedsConfirmation) -> None:
    pending = outcome.state.pending or {}
    here = str(pending.get("position", ""))
    fixes = [here] + sorted({str(w.params["question"]) for w in outcome.warnings if w.params.get("question") not in (None, here)})
    nonce = turn.nonce("warning", fixes=fixes)
    lines = [turn.t(T.CHECK_AGAIN)] + ["⚠ " + describe_problem(turn.t, w) for w in outcome.warnings]
    row = [Button(turn.t(T.FIX_THIS, question=q), R.data(nonce, R.FIX, i)) for i, q in enumerate(fixes)]
    turn.say("\n".join(lines), [row, [Button(turn.t(T.KEEP_ANYWAY), R.data(nonce, R.KEEP))]], live=True)


def start_form(turn: Turn, name: str, *, case_id: int | None = None, prefill: dict[str, Any] | None = None) -> None:
    """A new draft, active at once; one about a case's child starts with the answers the case knows. A
    parent's own form waits for their consent; a form with personal questions opens with the privacy notice."""
    if consent_missing(turn, name, case_id):
        return
    eng = engine_for(name)
    state = State(dict(prefill)) if prefill else None
    label = subject_name(eng, prefill) if prefill else None
    draft = turn.store.new_draft(turn.person.id, name, eng.compiled.version, case_id=case_id, state=state, label=label)
    turn.activate(draft)
    inst = eng.compiled.instrument
    intro = "\n\n" + turn.t.label(inst.intro) if inst.intro else ""
    turn.say(turn.t(T.STARTED, title=turn.t.label(inst.title)) + intro)
    privacy_notice(turn, eng)
    ask(turn)

"""Opening, continuing and stopping forms: ``/isi``, ``/usul``, ``/lanjut``, ``/draf``, ``/batal``."""

from __future__ import annotations

from bot import render as R
from bot import texts as T
from bot.handlers.asking import ask, start_form
from bot.model import Button
from bot.turn import Menu, Turn
from core.authz import forms_for
from flows.loader import instrument_names
from flows.registry import engine as engine_for


def cmd_fill(turn: Turn, name: str) -> None:
    """``/isi`` lists the forms the person may fill; ``/isi pendataan`` opens one."""
    name = name.strip()
    permitted = forms_for(turn.actor)
    names = [n for n in instrument_names() if n in permitted]
    if not names or (name in instrument_names() and name not in permitted):
        turn.deny("fill", "instrument", name)
        return
    if name in names:
        start_form(turn, name)
        return
    nonce = turn.nonce("forms", names=names)
    buttons = [[Button(turn.t.label(engine_for(n).compiled.instrument.title), R.data(nonce, R.OPEN, i))] for i, n in enumerate(names)]
    turn.say(turn.t(T.UNKNOWN_FORM, name=name) if name else turn.t(T.CHOOSE_FORM), buttons, live=True)


def cmd_propose(turn: Turn, _: str) -> None:
    """``/usul``: anyone proposes a child who is not in school (the Usulan form)."""
    cmd_fill(turn, "usulan")


def menu_forms(turn: Turn, action: str, index: int, menu: Menu) -> None:
    name = menu["names"][index]
    if name not in forms_for(turn.actor):  # the role changed since the list was shown
        turn.deny("fill", "instrument", name)
        return
    turn.edit_pressed(turn.t.label(engine_for(name).compiled.instrument.title) + " ✓")
    start_form(turn, name)


def cmd_continue(turn: Turn, _: str) -> None:
    draft = turn.draft or next(iter(turn.store.drafts(turn.person.id)), None)
    if draft is None:
        turn.say(turn.t(T.NO_DRAFT))
        return
    turn.activate(draft)
    turn.say(turn.t(T.RESUMED, title=turn.title(draft), label=draft.label or turn.t(T.UNNAMED), **turn.progress_of(draft)))
    ask(turn)


def cmd_drafts(turn: Turn, _: str) -> None:
    drafts = turn.store.drafts(turn.person.id)
    if not drafts:
        turn.say(turn.t(T.NO_DRAFT))
        return
    nonce = turn.nonce("drafts", drafts=[d.id for d in drafts])
    buttons = []
    for i, d in enumerate(drafts):
        label = turn.t(T.DRAFT_ITEM, title=turn.title(d), label=d.label or turn.t(T.UNNAMED), **turn.progress_of(d))
        buttons.append([Button(label, R.data(nonce, R.RESUME, i))])
    turn.say(turn.t(T.DRAFTS), buttons, live=True)


def menu_drafts(turn: Turn, action: str, index: int, menu: Menu) -> None:
    draft = turn.store.draft(turn.person.id, menu["drafts"][index])
    if draft is None:
        turn.say(turn.t(T.NO_DRAFT))
        return
    turn.edit_pressed(turn.t(T.RESUMED, title=turn.title(draft), label=draft.label or turn.t(T.UNNAMED), **turn.progress_of(draft)))
    turn.activate(draft)
    ask(turn)


def cmd_cancel(turn: Turn, _: str) -> None:
    if turn.draft is None:
        turn.say(turn.t(T.NO_DRAFT))
        return
    nonce = turn.nonce("cancel", draft=turn.draft.id)
    buttons = [[Button(turn.t(T.CANCEL_YES), R.data(nonce, R.YES)), Button(turn.t(T.CANCEL_NO), R.data(nonce, R.NO))]]
    turn.say(turn.t(T.CANCEL_ASK, title=turn.title(turn.draft), label=turn.draft.label or turn.t(T.UNNAMED)), buttons, live=True)


def menu_cancel(turn: Turn, action: str, index: int, menu: Menu) -> None:
    if action == R.YES and turn.draft is not None and turn.draft.id == menu["draft"]:
        turn.store.cancel(turn.draft.id)
        turn.changes.active_draft_id = None
        turn.changes.menu = None
        turn.edit_pressed(turn.t(T.CANCELLED))
        return
    turn.edit_pressed(turn.t(T.CANCEL_NO) + " ✓")
    if turn.draft is not None:
        ask(turn)

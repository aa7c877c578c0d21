"""The lifecycle of a child's case (guide Bab II and IV) as one compiled ``transitions`` machine. Pure.

A case starts ``proposed`` (a neighbour's tip, Bab II.C) or ``recorded`` (found by a volunteer's Pendataan).
Verval by home visit makes it ``verified`` or ``not_valid``; a pendamping is assigned (``accompanied``); the
parent answers the Surat Pernyataan (``willing`` / ``not_willing`` / ``undecided``), a school is chosen
(Lampiran 9), the child goes back (``back_in_school``) and is then monitored every month (``monitored``)
until ``graduated``. A child who drops out again is accompanied again; a case can always end because the
family ``moved_away``, and a child not in school ends ``aged_out`` past 18.

One machine serves every case: a move builds a throwaway model holding the current status, triggers the
event on it with ``machine.events[name].trigger(model)`` and reads the new status; nothing about a case
lives in the machine. This module imports neither the database nor Telegram (a test checks it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine

from cases import messages as m

logging.getLogger("transitions.core").setLevel(logging.WARNING)

STATES: tuple[str, ...] = (
    "proposed",
    "recorded",
    "verified",
    "not_valid",
    "accompanied",
    "willing",
    "not_willing",
    "undecided",
    "school_chosen",
    "back_in_school",
    "monitored",
    "graduated",
    "dropped_out_again",
    "moved_away",
    "aged_out",
)
INITIAL: tuple[str, ...] = ("proposed", "recorded")
"""Where a case may start: a proposal by anyone, or a child recorded by a volunteer's Pendataan."""
TERMINAL: tuple[str, ...] = ("not_valid", "graduated", "moved_away", "aged_out")
"""Closed cases; the same tuple as ``storage.retention.CLOSED`` (a test keeps them equal)."""
IN_SCHOOL: tuple[str, ...] = ("back_in_school", "monitored")
OPEN: tuple[str, ...] = tuple(s for s in STATES if s not in TERMINAL)
_ACCOMPANYING = ("accompanied", "willing", "not_willing", "undecided", "school_chosen", *IN_SCHOOL)
_DECIDING = ("accompanied", "willing", "not_willing", "undecided")
_CHECKABLE = ("verified", *_ACCOMPANYING, "dropped_out_again")
"""Verified cases (whatever happened since) can be accepted by the kecamatan's check."""

# (event, sources, destination); a destination of None is an internal move: the status stays as it is.
TRANSITIONS: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    # Bab II.C: the desa team takes a proposal and verifies it by a home visit (Rekonfirmasi).
    ("record", ("proposed",), "recorded"),
    ("verify", ("recorded",), "verified"),
    ("reject", ("proposed", "recorded", "verified"), "not_valid"),
    # Bab II.D: a pendamping is assigned; a child who dropped out again is accompanied again (by a new one with
    # ``assign``, or by the same one with ``return_to_accompaniment``). ``reassign`` hands a case over.
    ("assign", ("verified", "dropped_out_again"), "accompanied"),
    # Bab I.G.2: the kecamatan team checks each desa's verified cases (complete? duplicate? plausible?) before
    # they count at kabupaten level; it accepts them (recorded on the case) or returns them to the desa team.
    ("accept_check", _CHECKABLE, None),
    ("return_check", ("verified",), "recorded"),
    ("reassign", _ACCOMPANYING, None),
    # Another form found a child the case already follows (a household roster, SIPBM): kept in the history.
    ("add_source", OPEN, None),
    # Bab II.E.3 / Lampiran 8: the parent's answer; parents change their minds until the child is enrolled.
    ("consent_willing", _DECIDING, "willing"),
    ("consent_not_willing", (*_DECIDING, "school_chosen"), "not_willing"),
    ("consent_undecided", (*_DECIDING, "school_chosen"), "undecided"),
    # Bab II.E.1 / Lampiran 9: the school (or PKBM) agreed with the family; it may be changed before enrolment.
    ("choose_school", ("willing", "school_chosen"), "school_chosen"),
    # Bab II.F: the chosen school accepts the child (recorded), or refuses and the family chooses again.
    ("accept_school", ("school_chosen",), None),
    ("refuse_school", ("school_chosen",), "willing"),
    # Bab II.F–G: the child is received by the school.
    ("enrol", ("school_chosen",), "back_in_school"),
    # Bab II.H / IV: monitored every month until the child finishes the level.
    ("monitor", IN_SCHOOL, "monitored"),
    ("graduate", IN_SCHOOL, "graduated"),
    ("drop_out", IN_SCHOOL, "dropped_out_again"),
    ("return_to_accompaniment", ("dropped_out_again",), "accompanied"),
    # Endings possible at any open stage.
    ("move_away", OPEN, "moved_away"),
    ("age_out", tuple(s for s in OPEN if s not in IN_SCHOOL), "aged_out"),
)
"""A child back in school does not age out: the guide follows them until they finish (Bab IV)."""

EVENTS: tuple[str, ...] = tuple(dict.fromkeys(event for event, _, _ in TRANSITIONS))
NEEDS_REASON: frozenset[str] = frozenset({"reject", "consent_not_willing", "drop_out", "move_away", "return_check", "refuse_school"})
"""Moves that must say why (the guide asks the desa team to report who is not willing and why children leave)."""


def _build() -> Machine:
    machine = Machine(
        model=None,
        states=list(STATES),
        initial="proposed",
        auto_transitions=False,
        name="case",
    )
    for event, sources, dest in TRANSITIONS:
        machine.add_transition(event, list(sources), dest)
    return machine


MACHINE = _build()


@dataclass
class _Status:
    """The throwaway model a move is triggered on."""

    state: str


@dataclass(frozen=True)
class Refusal:
    """Why a move is not allowed: a message id (:mod:`cases.messages`) and its parameters.

    ``params["status"]`` is a status and ``params["action"]`` an event name; :meth:`render` translates both.
    ``allowed`` lists the events that are possible instead (for buttons).
    """

    message: str
    params: dict[str, str] = field(default_factory=dict)
    allowed: tuple[str, ...] = ()

    def render(self, translate: Callable[..., str]) -> str:
        """The refusal in a person's language; ``translate`` is e.g. ``core.i18n.translator("id")``."""
        return render_message(translate, self.message, self.params)


LABEL_PARAMS = ("state", "to")
"""Parameters that hold a message id themselves (a referral's or an assistance's step): translated first."""


def render_message(translate: Callable[..., str], message: str, params: dict[str, Any]) -> str:
    """Translate ``message`` after translating the status and action names among its parameters."""
    words = dict(params)
    if words.get("status") in m.STATUS_LABELS:
        words["status"] = translate(m.STATUS_LABELS[words["status"]])
    if words.get("action") in m.ACTION_LABELS:
        words["action"] = translate(m.ACTION_LABELS[words["action"]])
    for key in LABEL_PARAMS:
        if isinstance(words.get(key), str):
            words[key] = translate(words[key])
    return translate(message, **words)


def allowed_events(status: str) -> tuple[str, ...]:
    """The events that may happen to a case in ``status``, in the order of :data:`EVENTS`."""
    return tuple(event for event in EVENTS if status in MACHINE.events[event].transitions)


def next_status(current: str, event: str) -> str | Refusal:
    """The status a case in ``current`` moves to on ``event``, or why it cannot."""
    if current not in STATES:
        return Refusal(m.UNKNOWN_STATUS, {"status": current})
    if event not in MACHINE.events:
        return Refusal(m.UNKNOWN_ACTION, {"action": event}, allowed_events(current))
    if current not in MACHINE.events[event].transitions:
        message = m.CLOSED_CASE if current in TERMINAL else m.ILLEGAL_MOVE
        return Refusal(message, {"status": current, "action": event}, allowed_events(current))
    model = _Status(current)
    MACHINE.events[event].trigger(model)
    return model.state


def is_closed(status: str) -> bool:
    return status in TERMINAL


def mermaid() -> str:
    """The lifecycle as a Mermaid state diagram, generated from the machine (``docs/cases.md`` embeds it).

    Moves between the same two statuses share one arrow; internal moves (``reassign``) are listed in a comment.
    """
    arrows: dict[tuple[str, str], list[str]] = {}
    internal: dict[str, list[str]] = {}
    for event in EVENTS:
        for source, transitions in MACHINE.events[event].transitions.items():
            for transition in transitions:
                if transition.dest is None:
                    internal.setdefault(event, []).append(source)
                else:
                    arrows.setdefault((source, transition.dest), []).append(event)
    lines = ["stateDiagram-v2"]
    lines += [f"    [*] --> {state}" for state in INITIAL]
    order = {state: i for i, state in enumerate(STATES)}
    for (source, dest), events in sorted(arrows.items(), key=lambda item: (order[item[0][0]], order[item[0][1]])):
        lines.append(f"    {source} --> {dest}: {', '.join(events)}")
    lines += [f"    {state} --> [*]" for state in TERMINAL]
    for event, sources in internal.items():
        lines.append(f"    %% {event} (status unchanged) from: {', '.join(sources)}")
    return "\n".join(lines) + "\n"

"""Picking a school from the district's list inside a form (Lampiran 9 C.4, Kembali Sekolah K.1).

A question with a ``schools`` lookup shows the nearest schools of the right kind as buttons; typing searches the
list. A pick is answered through the engine exactly as if its name, NPSN and address had been typed, so every
constraint still holds and the answers are saved the same way. The offered school ids are kept in the person's
live keyboard, so a button can only ever pick a school the server offered to that person.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot import render as R
from bot import texts as T
from bot.model import Button
from cases.schools import school_by_id, school_by_npsn, schools_near, search_schools
from core.presenting import display_value, question_label, subject_name
from flows.engine import Accepted, Prompt
from flows.schema import SchoolField, SchoolLookup
from storage.models import School, SchoolChoice, SchoolLevel

if TYPE_CHECKING:
    from bot.conversation import _Turn

    Base = _Turn
else:
    Base = object

NPSN_TYPED = re.compile(r"^(?:[0-9]{8}|P[0-9]{7})$")
SEARCH_LIMIT = 8


def school_value(school: School, field: SchoolField) -> str | None:
    return {SchoolField.NPSN: school.npsn, SchoolField.NAME: school.name, SchoolField.ADDRESS: school.address}[field]


class SchoolPicking(Base):
    """The school list as buttons and search in a form."""

    def offered_schools(self, prompt: Prompt, search: str | None) -> tuple[list[School], str]:
        """The schools to offer at ``prompt`` (near the child, or matching ``search``) and the line saying so."""
        lookup = prompt.node.question.schools
        assert lookup is not None
        region, chosen = self._child_place()
        kinds = lookup.kinds_for(self.state.answers)
        if search:
            scope = ".".join((region or "").split(".")[:2]) or None
            levels = None if kinds is None else [SchoolLevel(k) for k in kinds]
            return search_schools(self.db, scope, levels, search, limit=SEARCH_LIMIT), self.t(T.SCHOOL_RESULTS, text=search)
        return schools_near(self.db, region, kinds, first=chosen, limit=SEARCH_LIMIT), self.t(T.SCHOOL_PICK_HINT)

    def school_rows(self, prompt: Prompt, nonce: str, schools: list[School], search: str | None) -> list[list[Button]]:
        rows = [[Button(f"{s.name} · {s.npsn}", R.data(nonce, R.PICK, i))] for i, s in enumerate(schools)]
        lookup = prompt.node.question.schools
        if search and lookup is not None and lookup.answer is SchoolField.NAME and not lookup.listed_only:
            rows.append([Button(self.t(T.SCHOOL_USE_TYPED, text=search), R.data(nonce, R.TYPED))])
        return rows

    def _child_place(self) -> tuple[str | None, int | None]:
        """The child's region (their case's village, else the person's area) and the school their family chose."""
        case_id = self.draft.case_id if self.draft else None
        if case_id is None:
            return self.person.region_code, None
        region = self.store.case_region(case_id)
        with self.db.read() as session:
            chosen = session.scalar(select(SchoolChoice.school_id).where(SchoolChoice.case_id == case_id)
                                    .order_by(SchoolChoice.id.desc()).limit(1))
        return region, chosen

    def on_school_text(self, prompt: Prompt, lookup: SchoolLookup, text: str) -> None:
        """Typed text at a school question: an NPSN of the list picks it, anything else searches the list."""
        typed = " ".join(text.split())
        if NPSN_TYPED.match(typed.upper()):
            school = school_by_npsn(self.db, typed)
            if school is not None:
                self.pick_school(prompt, lookup, school)
                return
            if lookup.listed_only:
                self.say("✗ " + self.t(T.SCHOOL_NOT_LISTED, npsn=typed.upper()))
                self.ask()
                return
        schools, _ = self.offered_schools(prompt, typed)
        exact = [s for s in schools if s.name.casefold() == typed.casefold()]
        if len(exact) == 1:
            self.pick_school(prompt, lookup, exact[0])
        elif schools:
            self.ask(search=typed)
        elif lookup.listed_only or lookup.answer is not SchoolField.NAME:
            self.say("✗ " + self.t(T.SCHOOL_NONE_FOUND, text=typed))
            self.ask()
        else:  # a school the district's list does not have yet: kept as typed
            self.apply(self.engine.answer(self.state, typed, self.today), prompt)

    def menu_school(self, prompt: Prompt, action: str, index: int, menu: dict[str, Any]) -> None:
        """A school button (``PICK``) or "use what I typed" (``TYPED``) of the question's keyboard."""
        lookup = prompt.node.question.schools
        assert lookup is not None
        if action == R.TYPED:
            self.apply(self.engine.answer(self.state, menu.get("typed", ""), self.today), prompt)
            return
        ids = menu.get("schools", [])
        school = school_by_id(self.db, ids[index]) if index < len(ids) else None
        if school is None:
            self.result.callback_notice = self.t(T.QUESTION_CLOSED)
            return
        self.pick_school(prompt, lookup, school)

    def pick_school(self, prompt: Prompt, lookup: SchoolLookup, school: School) -> None:
        """Answer the question with the school, then the following questions it also answers (NPSN, address)."""
        value = school_value(school, lookup.answer)
        outcome = self.engine.answer(self.state, value, self.today)
        if not isinstance(outcome, Accepted):
            self.apply(outcome, prompt)
            return
        self.save_state(outcome.state)
        self.acknowledge(prompt, outcome.value)
        filled: list[str] = []
        for qid, field in lookup.fills.items():
            current = self.engine.current(self.state, self.today)
            value = school_value(school, field)
            if not isinstance(current, Prompt) or current.position.qid != qid or not value:
                break
            answered = self.engine.answer(self.state, value, self.today)
            if not isinstance(answered, Accepted):
                break
            self.save_state(answered.state)
            label = question_label(self.t, current.node, subject_name(self.engine, self.state.answers))
            filled.append(self.t(T.ANSWERED, header=f"{qid} · {label}", value=display_value(self.t, current.node, answered.value)))
        if filled:
            self.say("\n".join(filled))
        self.ask()

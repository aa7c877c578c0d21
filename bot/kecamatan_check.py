"""``/periksa``: the kecamatan team checks each desa's verified cases before they count at kabupaten level.

The team picks a desa (with how many cases wait), reads its list with what looks incomplete or doubtful, and
accepts the cases or returns one to the desa team with a note; the desa team hears either way. The rules live
in :mod:`cases.checks`; every press is checked again against the person's role and area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import render as R
from bot import texts as T
from bot.model import Button, Reply
from cases import checks
from cases.errors import CaseError
from cases.messages import CHECK_PROBLEMS
from core.authz import Action, allowed
from storage.models import Role

if TYPE_CHECKING:
    from bot.conversation import _Turn

    Base = _Turn
else:
    Base = object


class KecamatanCheck(Base):
    """The kecamatan's completeness check in chat."""

    def may_check(self, region: str | None) -> bool:
        return self.actor.role in (Role.TIM_KECAMATAN, Role.ADMIN) and allowed(self.actor, Action.VERIFY, region)

    def cmd_check(self, _: str) -> None:
        """/periksa: the desa of the kecamatan whose verified cases wait for the check."""
        kecamatan = self.person.region_code
        if not self.may_check(kecamatan):
            self.deny("check")
            return
        waiting = checks.desa_awaiting(self.db, kecamatan or "")
        if not waiting:
            self.say(self.t(T.CHECK_NOTHING))
            return
        nonce = self.nonce("check_desa", desa=[code for code, _, _ in waiting])
        rows = [[Button(self.t(T.CHECK_DESA_BUTTON, desa=name, count=count), R.data(nonce, R.CHOICE, i))] for i, (_, name, count) in enumerate(waiting)]
        self.say(self.t(T.CHECK_CHOOSE_DESA), rows, live=True)

    def menu_check_desa(self, action: str, index: int, menu: dict[str, Any]) -> None:
        desa = menu["desa"][index]
        if not self.may_check(desa):
            self.deny("check", "region", desa, desa)
            return
        self.close_pressed()
        self.show_check_list(desa)

    def show_check_list(self, desa: str) -> None:
        items = checks.review_list(self.db, desa, self.today)
        if not items:
            self.changes.menu = None
            self.say(self.t(T.CHECK_NOTHING))
            return
        lines = [self.t(T.CHECK_LIST, desa=items[0].desa, count=len(items))]
        for item in items:
            problems = ", ".join(self.t(CHECK_PROBLEMS[p]) for p in item.problems)
            age = f" ({item.age})" if item.age is not None else ""
            lines.append(f"• {item.reference} · {item.name}{age}" + (f" — ⚠ {problems}" if problems else " ✓"))
        self.store.audit("child.read", self.person.id, "region", desa, desa, {"via": "kecamatan-check", "cases": len(items)})
        nonce = self.nonce("check_cases", desa=desa, cases=[i.case_id for i in items])
        rows = [[Button(self.t(T.CHECK_ACCEPT_ALL, count=len(items)), R.data(nonce, R.YES))]]
        rows += [[Button(self.t(T.CHECK_RETURN, reference=i.reference), R.data(nonce, R.CHOICE, n))] for n, i in enumerate(items)]
        self.say("\n".join(lines), rows, live=True)

    def menu_check_cases(self, action: str, index: int, menu: dict[str, Any]) -> None:
        desa = menu["desa"]
        if not self.may_check(desa):
            self.deny("check", "region", desa, desa)
            return
        if action == R.YES:
            accepted = checks.accept(self.db, menu["cases"], self.person.id)
            self.edit_pressed(self.t(T.CHECK_ACCEPTED, count=len(accepted), desa=self.store.region_name(desa)))
            self.changes.menu = None
            self.tell_desa_team(desa, T.CHECK_ACCEPTED_FOR_DESA, count=len(accepted), desa=self.store.region_name(desa))
            self.result.outcome = "check:accepted"
            return
        case_id = menu["cases"][index]
        self.close_pressed()
        nonce = self.nonce("check_note", desa=desa, case=case_id)
        self.say(self.t(T.CHECK_NOTE_ASK, reference=self.store.case_reference(case_id)), [[Button(self.t(T.BACK), R.data(nonce, R.BACK))]], live=True)

    def menu_check_note(self, action: str, index: int, menu: dict[str, Any]) -> None:
        self.close_pressed()
        self.show_check_list(menu["desa"])

    def on_check_note(self, text: str) -> None:
        """The note of a returned case, typed by the kecamatan team; the case goes back to the desa team."""
        menu = self.menu or {}
        desa, case_id = menu.get("desa"), menu.get("case")
        if not self.may_check(desa) or not isinstance(case_id, int):
            self.deny("check", "region", desa, desa)
            return
        try:
            moved = checks.return_to_desa(self.db, case_id, self.person.id, text.strip()[:500])
        except CaseError as refused:
            self.say("✗ " + refused.render(self.t))
            return
        self.changes.menu = None
        self.say(self.t(T.CHECK_RETURNED, reference=moved.reference))
        self.tell_desa_team(desa or "", T.CHECK_RETURNED_FOR_DESA, reference=moved.reference, note=moved.reason or "")
        self.result.outcome = "check:returned"

    def tell_desa_team(self, area: str, message: str, **params: Any) -> None:
        for chat_id, language in self.store.coordinators(area):
            if chat_id != self.incoming.chat_id:
                self.result.notifications.append((chat_id, Reply(self.translator_for(language)(message, **params))))

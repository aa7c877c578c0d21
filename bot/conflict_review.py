"""The review list in chat: the desa and kecamatan teams hear of a NIK clash in their area (both records side by
side, buttons merge / keep apart) and ``/konflik`` lists the open ones; ``/konflik N NIK`` fixes the held record's
NIK. Decisions go through :mod:`cases.conflicts` (checked, audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.model import Reply
from cases import conflicts as C
from core.authz import TEAM
from flows.messages import N_
from storage.models import Role

if TYPE_CHECKING:
    from bot.conversation import _Turn

    Base = _Turn
else:
    Base = object

CLASH_NOTICE = N_("Possible mix-up of two children: this NIK is already recorded for a child with another name or sex. "
                  "Nothing was merged; the records are kept apart until the team decides.")
REVIEW_ASK = N_("Are these the same child? Compare and decide:")
NO_CONFLICTS = N_("No open NIK conflict in your area.")
MERGE = N_("Same child: merge")
APART = N_("Two children: keep apart")
FIX_NIK_HINT = N_("If the NIK of the new record is wrong, send /konflik {number} followed by the correct NIK.")
SUBMITTER_NOTICE = N_("Note: the NIK you entered belongs to another child already recorded with another name or sex. "
                      "Your form was saved and kept apart; the village team will check it.")
LIST_LIMIT = 10


class ConflictReview(Base):
    """Chat steps of the identity review list."""

    def announce_conflict(self, conflict_id: int) -> None:
        """Tell the submitter, and send the area's desa and kecamatan teams the two records with decision buttons."""
        self.say(self.t(SUBMITTER_NOTICE))
        view = C.conflict_view(self.db, conflict_id)
        for person_id, chat_id, language in C.reviewers(self.db, view.region_code):
            if chat_id is None:
                continue
            t = self.translator_for(language)
            self.result.notifications.append((chat_id, self._review_message(view, person_id, t, t(CLASH_NOTICE))))

    def cmd_conflicts(self, args: str) -> None:
        """/konflik: the open conflicts of the team's area; /konflik N NIK: correct the held record's NIK."""
        if Role(self.person.role) not in TEAM:
            self.deny("conflicts")
            return
        parts = args.split(maxsplit=1)
        if len(parts) == 2 and parts[0].isdigit():
            self._decide(int(parts[0]), "fix_nik", parts[1])
            return
        views = C.open_conflicts(self.db, self.person.region_code or "")
        if not views:
            self.say(self.t(NO_CONFLICTS))
        for view in views[:LIST_LIMIT]:
            self.result.replies.append(self._review_message(view, self.person.id, self.t, self.t(REVIEW_ASK)))
        self.result.outcome = "conflicts"

    def notice_conflict(self, payload: dict[str, Any]) -> None:
        self._decide(int(payload["conflict_id"]), str(payload["decision"]), None)

    def _decide(self, conflict_id: int, decision: str, nik: str | None) -> None:
        try:
            view = C.decide(self.db, conflict_id, decision, self.person.id, nik=nik)
        except C.ConflictError as refused:
            self.say("✗ " + refused.render(self.t))
            self.result.outcome = "conflict-refused"
            return
        name = view.held.name if decision == "fix_nik" and view.held else view.existing.name
        done = self.t(C.DECIDED[decision], number=view.id, name=name)
        if self.incoming.message_id:
            self.edit_pressed(done)
        else:
            self.say(done)
        self.result.outcome = f"conflict:{decision}"

    def _review_message(self, view: C.ConflictView, person_id: int, t: Callable[..., str], intro: str) -> Reply:
        text = "\n".join([intro, *C.side_by_side(view), t(FIX_NIK_HINT, number=view.id)])
        buttons = [[self.notice_button(person_id, "conflict", t(MERGE), conflict_id=view.id, decision="merge")],
                   [self.notice_button(person_id, "conflict", t(APART), conflict_id=view.id, decision="apart")]]
        return Reply(text, buttons)



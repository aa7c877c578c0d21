"""One turn of a conversation: read the person's saved state, apply one update, say what to send and to save.

Runs in a worker thread (the database is synchronous) and knows nothing of Telegram: :mod:`bot.router` builds
the :class:`~bot.model.Incoming`, :mod:`bot.sender` performs the replies. The person's live keyboard (the
"menu": its nonce, what its buttons mean, which message carries it) is saved with the person in the same
transaction as the answer and the update id, so a crash, a restart or a redelivered update never applies an
answer twice or loses one that was acknowledged.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from bot import render as R
from bot import texts as T
from bot.casework import CASE_NOTICES, Casework
from bot.conflict_review import ConflictReview
from bot.dashboard import cmd_dashboard
from bot.kecamatan_check import KecamatanCheck
from bot.model import Button, Incoming, Kind, Reply, TurnResult
from bot.privacy import Privacy
from bot.programme import CASE_LINK_PREFIX, Programme
from bot.region_picking import RegionPicking
from bot.school_acceptance import SchoolAcceptance
from bot.school_picking import SchoolPicking
from bot.store import KEEP, BotStore, Changes, Context, DraftView, SubmitRefused
from cases.schools import school_by_id, search_schools
from core.authz import ROLE_NAMES, Actor, forms_for, may_invite
from core.i18n import LANGUAGE_NAMES, LANGUAGES, Translator, translator
from core.presenting import (
    describe_problem,
    display_value,
    qualified_label,
    section_title,
    starts_section,
    subject_name,
    summary_lines,
)
from flows.engine import Accepted, Complete, Engine, NeedsConfirmation, Prompt, Refused, State
from flows.loader import instrument_names
from flows.registry import engine as engine_for
from flows.schema import QuestionType
from flows.values import age_on, parse_answer
from reminders.actions import Invalid, StartForm, is_reminder_button
from reminders.actions import describe as describe_reminder_action
from reminders.actions import handle_button as handle_reminder_button
from storage.models import DataRequestKind, Role
from storage.repositories.invitations import ESCALATED, InvitationError

NOTICE_PREFIX = "a."
MESSAGE_LIMIT = 3500
"""Telegram allows 4096 characters; the review is split below that."""


class Conversations:
    """Turns updates into replies and saved changes; one instance serves every person."""

    def __init__(self, store: BotStore, today: Callable[[], dt.date] = dt.date.today) -> None:
        self.store = store
        self.today = today
        self.bot_username = "ats_bot"
        """Set from ``getMe`` at start-up; invitation links point at it."""

    def process(self, incoming: Incoming) -> TurnResult:
        context = self.store.load(incoming)
        if context is None:
            return TurnResult(duplicate=True, outcome="duplicate")
        turn = _Turn(self, context, incoming)
        result = turn.run()
        if not self.store.commit(incoming.update_id, context.person.id, turn.changes):
            return TurnResult(duplicate=True, outcome="duplicate")
        result.person_id = context.person.id
        return result

    def remember_message(self, person_id: int, nonce: str, message_id: int) -> None:
        """Note which message carries the live keyboard, so its buttons can be closed later."""
        self.store.remember_message(person_id, nonce, message_id)


class _Turn(Casework, Programme, KecamatanCheck, SchoolAcceptance, SchoolPicking, RegionPicking, ConflictReview, Privacy):
    """The work of one update for one person."""

    def __init__(self, owner: Conversations, context: Context, incoming: Incoming) -> None:
        self.owner = owner
        self.store = owner.store
        self.db = owner.store.db
        self.today = owner.today()
        self.incoming = incoming
        self.person = context.person
        self.draft: DraftView | None = context.draft
        self.menu: dict[str, Any] | None = context.menu
        self.t: Translator = translator(context.person.language)
        self.changes = Changes()
        self.result = TurnResult()
        self.edited: set[int] = set()

    # -- dispatch -------------------------------------------------------------------------------------------
    def run(self) -> TurnResult:
        kind = self.incoming.kind
        if kind is Kind.CALLBACK:
            self.on_button()
        elif kind is Kind.COMMAND:
            self.on_command(self.incoming.command, self.incoming.text)
        elif self.menu and self.menu.get("kind") == "edit" and kind is Kind.TEXT:
            self.on_edit_code(self.incoming.text)
        elif self.menu and self.menu.get("kind") == "reason" and kind is Kind.TEXT:
            self.on_reason_text(self.incoming.text)
        elif self.menu and self.menu.get("kind") == "invite_school" and kind is Kind.TEXT:
            self.ask_invite_school(" ".join(self.incoming.text.split()))
        elif self.menu and kind is Kind.TEXT and self.menu.get("kind") in self.programme_texts():
            self.programme_texts()[self.menu["kind"]](self.incoming.text)
        elif self.menu and self.menu.get("kind") == "import" and kind is Kind.DOCUMENT:
            self.on_import_file()
        elif self.draft is not None:
            self.on_input()
        else:
            self.say(self.t(T.DIDNT_UNDERSTAND))
            self.result.outcome = "not-understood"
        self._close_old_keyboard()
        return self.result

    def on_command(self, command: str, args: str) -> None:
        self.result.outcome = f"command:{command}"
        handlers: dict[str, Callable[[str], None]] = {
            "start": self.cmd_start, "help": lambda _: self.say(self.t(T.HELP)), "bahasa": self.cmd_language,
            "isi": self.cmd_fill, "lanjut": self.cmd_continue, "draf": self.cmd_drafts, "batal": self.cmd_cancel,
            "undang": self.cmd_invite, "dataku": self.cmd_mydata, "koreksi": self.cmd_correction, "hapus": self.cmd_deletion,
            "kasus": self.cmd_cases, "tugaskan": self.cmd_assign, "usul": lambda _: self.cmd_fill("usulan"),
            "rekap": self.cmd_recap, "ekspor": self.cmd_export, "impor": self.cmd_import, "konflik": self.cmd_conflicts,
            "dasbor": lambda args: cmd_dashboard(self, args), **self.programme_commands(),
        }
        handlers.get(command, lambda _: self.say(self.t(T.DIDNT_UNDERSTAND)))(args)

    def on_button(self) -> None:
        if is_reminder_button(self.incoming.data):
            self.on_reminder_button()
            return
        if self.incoming.data.startswith(NOTICE_PREFIX):
            self.on_notice_button(self.incoming.data.removeprefix(NOTICE_PREFIX))
            return
        parsed = R.parse_data(self.incoming.data)
        menu = self.menu
        if parsed is None or menu is None or parsed[0] != menu.get("nonce"):
            self.store.audit("button.refused", self.person.id, "button", self.incoming.data[:40], None,
                             {"reason": "forged" if parsed is None else "stale"})
            self.result.callback_notice = self.t(T.QUESTION_CLOSED)
            if self.incoming.message_id != (menu or {}).get("message_id"):  # the live question keeps its buttons
                self.result.close_message_id = self.incoming.message_id
            self.result.outcome = "stale-button"
            return
        _, action, index = parsed
        self.result.outcome = f"button:{menu['kind']}:{action}"
        handler = self.programme_menus().get(menu["kind"]) or getattr(self, f"menu_{menu['kind']}")
        try:
            handler(action, index, menu)
        except (IndexError, KeyError):  # an index or action no button of ours carries: a forged press
            self.refuse_forged_press()
            return
        if not self.result.replies and self.result.close_message_id is None and not self.result.callback_notice:
            self.refuse_forged_press()

    def refuse_forged_press(self) -> None:
        """Undo whatever the press started and say it did nothing; the live keyboard stays."""
        self.changes = Changes()
        self.result = TurnResult(callback_notice=self.t(T.BUTTON_NOT_VALID), outcome="forged-button")
        self.store.audit("button.refused", self.person.id, "button", self.incoming.data[:40], None, {"reason": "forged"})

    def on_notice_button(self, token: str) -> None:
        """A button of a notice (not the live keyboard): valid once, for its recipient only."""
        taken = self.store.take_button(self.person.id, token)
        if taken is None:
            self.store.audit("button.refused", self.person.id, "button", token[:6], None, {"reason": "stale-notice"})
            self.result.callback_notice = self.t(T.QUESTION_CLOSED)
            self.result.outcome = "stale-notice-button"
            return
        kind, payload = taken
        self.result.outcome = f"notice:{kind}"
        if kind in CASE_NOTICES and not self.may_act(kind, int(payload["case_id"])):
            self.deny(kind, "case", payload["case_id"], self.store.case_region(int(payload["case_id"])))
            return
        handler = self.programme_notices().get(kind) or getattr(self, f"notice_{kind}")
        handler(payload)

    def on_reminder_button(self) -> None:
        """A reminder's button (``r.<token>.<action>``): fill the log now, snooze, or ask for another pendamping."""
        action = handle_reminder_button(self.db, self.person.id, self.incoming.data)
        self.result.outcome = f"reminder:{type(action).__name__.lower()}"
        if isinstance(action, StartForm):
            self.close_pressed()
            self.start_form(action.instrument, case_id=action.case_id)
            return
        self.result.callback_notice = describe_reminder_action(action, self.person.language)
        if not isinstance(action, Invalid):
            self.close_pressed()
            self.say(self.result.callback_notice)

    def notice_button(self, person_id: int, kind: str, text: str, **payload: Any) -> Button:
        """A button for someone's notice that does ``kind`` when that person presses it."""
        return Button(text, NOTICE_PREFIX + self.store.issue_button(person_id, kind, payload))

    # -- commands -------------------------------------------------------------------------------------------
    def cmd_start(self, payload: str) -> None:
        if payload.strip().startswith(CASE_LINK_PREFIX):
            self.open_case_link(payload.strip().removeprefix(CASE_LINK_PREFIX))
            return
        if payload:
            self.join(payload.strip())
            return
        self.say(self.t(T.WELCOME, name=self.person.name or "") + "\n\n" + self.t(T.HELP))

    def join(self, token: str) -> None:
        """Accept an invitation from a deep link (``/start <token>``)."""
        try:
            joined = self.store.redeem(token, self.person.id)
        except InvitationError as refused:
            self.say(self.t(T.INVITATION_REFUSED[refused.reason]))
            self.result.outcome = f"invitation-refused:{refused.reason}"
            self.alert_inviter(refused)
            return
        if joined.child_id is not None:
            self.say(self.t(T.JOINED_PARENT, child=self.store.child_name(joined.child_id)))
            if joined.case_id is not None:
                self.joined_parent(joined.case_id)
        else:
            self.say(self.t(T.JOINED, role=self.t(ROLE_NAMES[joined.role.value]), region=self.store.region_name(joined.region_code)))
        self.result.outcome = "joined"

    def alert_inviter(self, refused: InvitationError) -> None:
        """A parent's link opened by someone else: its sender (else the area's team) hears who tried."""
        if refused.reason not in ESCALATED:
            return
        sender = self.store.chat_of(refused.created_by)
        for chat_id, language in [sender] if sender else self.store.coordinators(refused.region_code):
            t = translator(language)
            text = t(T.INVITATION_MISUSED, child=self.store.child_name(refused.child_id), name=self.person.name or "—",
                     role=t(ROLE_NAMES[self.person.role]), region=self.store.region_name(self.person.region_code))
            self.result.notifications.append((chat_id, Reply(text)))

    @property
    def actor(self) -> Actor:
        return Actor(self.person.id, Role(self.person.role), self.person.region_code)

    def deny(self, action: str, subject_type: str = "command", subject_id: object = "", region: str | None = None) -> None:
        """A polite refusal for the person, and a line in the audit log for the coordinators."""
        self.store.audit("access.denied", self.person.id, subject_type, subject_id, region, {"action": action, "role": self.person.role})
        self.say(self.t(T.NOT_REGISTERED if self.actor.role is Role.MASYARAKAT else T.NOT_ALLOWED))
        self.result.outcome = f"denied:{action}"

    def cmd_language(self, wanted: str) -> None:
        """``/bahasa`` offers the languages; ``/bahasa en`` (or ``English``, ``jawa``) switches at once."""
        language = language_named(wanted)
        if language is not None:
            self.switch_language(language)
            return
        nonce = self.nonce("language", languages=list(LANGUAGES))
        buttons = [[Button(LANGUAGE_NAMES[code], R.data(nonce, R.LANGUAGE, i))] for i, code in enumerate(LANGUAGES)]
        self.say(self.t(T.LANGUAGE_ASK), buttons, live=True)

    def switch_language(self, language: str) -> None:
        """Speak ``language`` from now on and ask the current question again, in it."""
        self.changes.language = language
        self.t = translator(language)
        text = self.t(T.LANGUAGE_SET, language=LANGUAGE_NAMES[language])
        if self.incoming.kind is Kind.CALLBACK:
            self.edit_pressed(text)
        else:
            self.say(text)
        self.changes.menu = None
        if self.draft is not None:
            self.ask()

    def cmd_fill(self, name: str) -> None:
        permitted = forms_for(self.actor)
        names = [n for n in instrument_names() if n in permitted]
        if not names or (name.strip() in instrument_names() and name.strip() not in permitted):
            self.deny("fill", "instrument", name.strip())
            return
        if name.strip() in names:
            self.start_form(name.strip())
            return
        nonce = self.nonce("forms", names=names)
        buttons = [[Button(self.t.label(engine_for(n).compiled.instrument.title), R.data(nonce, R.OPEN, i))] for i, n in enumerate(names)]
        text = self.t(T.UNKNOWN_FORM, name=name.strip()) if name.strip() else self.t(T.CHOOSE_FORM)
        self.say(text, buttons, live=True)

    def cmd_continue(self, _: str) -> None:
        draft = self.draft or next(iter(self.store.drafts(self.person.id)), None)
        if draft is None:
            self.say(self.t(T.NO_DRAFT))
            return
        self.activate(draft)
        progress = self.engine.progress(self.state, self.today)
        self.say(self.t(T.RESUMED, title=self.title(draft), label=draft.label or self.t(T.UNNAMED), answered=progress.answered, expected=progress.expected))
        self.ask()

    def cmd_drafts(self, _: str) -> None:
        drafts = self.store.drafts(self.person.id)
        if not drafts:
            self.say(self.t(T.NO_DRAFT))
            return
        nonce = self.nonce("drafts", drafts=[d.id for d in drafts])
        buttons = []
        for i, d in enumerate(drafts):
            progress = engine_for(d.instrument, d.instrument_version).progress(d.state, self.today)
            label = self.t(T.DRAFT_ITEM, title=self.title(d), label=d.label or self.t(T.UNNAMED), answered=progress.answered, expected=progress.expected)
            buttons.append([Button(label, R.data(nonce, R.RESUME, i))])
        self.say(self.t(T.DRAFTS), buttons, live=True)

    def cmd_cancel(self, _: str) -> None:
        if self.draft is None:
            self.say(self.t(T.NO_DRAFT))
            return
        nonce = self.nonce("cancel", draft=self.draft.id)
        buttons = [[Button(self.t(T.CANCEL_YES), R.data(nonce, R.YES)), Button(self.t(T.CANCEL_NO), R.data(nonce, R.NO))]]
        self.say(self.t(T.CANCEL_ASK, title=self.title(self.draft), label=self.draft.label or self.t(T.UNNAMED)), buttons, live=True)

    def cmd_invite(self, _: str) -> None:
        """/undang: a team member invites roles below them, inside their own region."""
        actor = self.actor
        roles = [r for r in Role if r is not Role.MASYARAKAT and actor.region_code and may_invite(actor, r, actor.region_code + ".x")]
        roles = [r for r in roles if r is not Role.ORANG_TUA]  # parents are invited for a child, by its pendamping
        if not roles:
            self.deny("invite")
            return
        nonce = self.nonce("invite_role", roles=[r.value for r in roles])
        buttons = [[Button(self.t(ROLE_NAMES[r.value]), R.data(nonce, R.CHOICE, i))] for i, r in enumerate(roles)]
        self.say(self.t(T.INVITE_WHICH_ROLE), buttons, live=True)

    def cmd_mydata(self, _: str) -> None:
        data = self.store.my_data(self.person.id)
        self.say(self.t(T.MYDATA, name=data["name"], role=self.t(ROLE_NAMES[data["role"]]), region=self.store.region_name(data["region"]),
                        language=LANGUAGE_NAMES[data["language"]], since=data["since"], drafts=data["drafts"], responses=data["responses"]))
        self.my_children()

    def cmd_correction(self, detail: str) -> None:
        if not detail.strip():
            self.say(self.t(T.CORRECTION_ASK))
            return
        self.data_request(DataRequestKind.CORRECTION, detail.strip())

    def cmd_deletion(self, detail: str) -> None:
        self.withdraw_consents(None)
        self.data_request(DataRequestKind.DELETION, detail.strip())

    def data_request(self, kind: DataRequestKind, detail: str) -> None:
        """A UU PDP request: recorded, acknowledged with a number, and sent to the coordinators of the area."""
        number = self.store.data_request(self.person.id, kind, detail)
        self.say(self.t(T.REQUEST_RECEIVED, number=number))
        for chat_id, language in self.store.coordinators(self.person.region_code):
            t = translator(language)
            text = t(T.REQUEST_FOR_TEAM, number=number, name=self.person.name, role=t(ROLE_NAMES[self.person.role]),
                     region=self.store.region_name(self.person.region_code), kind=t(T.REQUEST_KIND[kind.value]), detail=detail)
            self.result.notifications.append((chat_id, Reply(text)))
        self.result.outcome = f"data-request:{kind.value}"

    # -- menus (button presses, by the kind of the live keyboard) --------------------------------------------
    def menu_invite_role(self, action: str, index: int, menu: dict[str, Any]) -> None:
        role = Role(menu["roles"][index])
        scope = self.actor.region_code or ""
        wanted_level = {Role.TIM_KECAMATAN: 3, Role.TIM_DESA: 4}.get(role)
        if wanted_level is not None and scope.count(".") + 1 < wanted_level:
            areas = self.store.sub_regions(scope) if scope.count(".") + 2 == wanted_level else []
            if areas:
                nonce = self.nonce("invite_region", role=role.value, regions=[c for c, _ in areas])
                buttons = _grid([Button(name, R.data(nonce, R.CHOICE, i)) for i, (_, name) in enumerate(areas)])
                self.edit_pressed(self.t(ROLE_NAMES[role.value]) + " ✓")
                self.say(self.t(T.INVITE_WHICH_REGION), buttons, live=True)
                return
        self.edit_pressed(self.t(ROLE_NAMES[role.value]) + " ✓")
        if role is Role.OPERATOR_SEKOLAH:
            self.ask_invite_school(None)
            return
        self.send_invitation(role, scope)

    def menu_invite_region(self, action: str, index: int, menu: dict[str, Any]) -> None:
        region = menu["regions"][index]
        self.edit_pressed(self.store.region_name(region) + " ✓")
        self.send_invitation(Role(menu["role"]), region)

    def ask_invite_school(self, search: str | None) -> None:
        """A school operator is invited for one school of the inviter's area (they will see only its pupils)."""
        schools = search_schools(self.db, self.actor.region_code, None, search, limit=20)
        if not schools:
            self.say(self.t(T.INVITE_NO_SCHOOL))
        nonce = self.nonce("invite_school", schools=[s.id for s in schools])
        rows = [[Button(f"{s.name} · {s.npsn}", R.data(nonce, R.CHOICE, i))] for i, s in enumerate(schools)]
        self.say(self.t(T.INVITE_WHICH_SCHOOL), rows + [[Button(self.t(T.CANCEL), R.data(nonce, R.CANCEL))]], live=True)

    def menu_invite_school(self, action: str, index: int, menu: dict[str, Any]) -> None:
        if action == R.CANCEL:
            self.close_pressed()
            self.changes.menu = None
            return
        school = school_by_id(self.db, menu["schools"][index])
        if school is None or school.region_code is None:
            self.result.callback_notice = self.t(T.QUESTION_CLOSED)
            return
        self.edit_pressed(f"{school.name} · {school.npsn} ✓")
        self.send_invitation(Role.OPERATOR_SEKOLAH, school.region_code, school.id)

    def send_invitation(self, role: Role, region: str, school_id: int | None = None) -> None:
        if not may_invite(self.actor, role, region):
            self.deny("invite", "region", region, region)
            return
        days = 7
        token = self.store.invite(self.person.id, role, region, days, school_id)
        link = f"https://t.me/{self.owner.bot_username}?start={token}"
        caption = self.t(T.INVITE_READY, role=self.t(ROLE_NAMES[role.value]), region=self.store.region_name(region), days=days, link=link)
        self.result.replies.append(Reply(caption, photo=qr_png(link)))
        self.changes.menu = None
        self.result.outcome = "invited"

    def menu_language(self, action: str, index: int, menu: dict[str, Any]) -> None:
        self.switch_language(menu["languages"][index])

    def menu_forms(self, action: str, index: int, menu: dict[str, Any]) -> None:
        if menu["names"][index] not in forms_for(self.actor):  # the role changed since the list was shown
            self.deny("fill", "instrument", menu["names"][index])
            return
        self.edit_pressed(self.t.label(engine_for(menu["names"][index]).compiled.instrument.title) + " ✓")
        self.start_form(menu["names"][index])

    def menu_drafts(self, action: str, index: int, menu: dict[str, Any]) -> None:
        draft = self.store.draft(self.person.id, menu["drafts"][index])
        if draft is None:
            self.say(self.t(T.NO_DRAFT))
            return
        self.edit_pressed(self.t(T.RESUMED, title=self.title(draft), label=draft.label or self.t(T.UNNAMED), **self._progress_of(draft)))
        self.activate(draft)
        self.ask()

    def menu_cancel(self, action: str, index: int, menu: dict[str, Any]) -> None:
        if action == R.YES and self.draft is not None and self.draft.id == menu["draft"]:
            self.store.cancel(self.draft.id)
            self.changes.active_draft_id = None
            self.changes.menu = None
            self.edit_pressed(self.t(T.CANCELLED))
            return
        self.edit_pressed(self.t(T.CANCEL_NO) + " ✓")
        if self.draft is not None:
            self.ask()

    def menu_question(self, action: str, index: int, menu: dict[str, Any]) -> None:
        prompt = self.prompt()
        if not isinstance(prompt, Prompt) or prompt.position.key != menu.get("position"):
            self.result.callback_notice = self.t(T.QUESTION_CLOSED)
            return
        if action == R.PICK and prompt.node.question.regions is not None:
            self.menu_region(prompt, index, menu)
        elif action in (R.PICK, R.TYPED) and prompt.node.question.schools is not None:
            self.menu_school(prompt, action, index, menu)
        elif action == R.CHOICE:
            self.apply(self.engine.answer(self.state, prompt.node.choices[index].code, self.today), prompt)
        elif action == R.TOGGLE:
            code = prompt.node.choices[index].code
            selected = list(menu.get("selected", []))
            selected = [c for c in selected if c != code] if code in selected else [*selected, code]
            self.ask(selected=selected, edit=self.incoming.message_id)
        elif action == R.DONE:
            self.apply(self.engine.answer(self.state, menu.get("selected", []), self.today), prompt)
        elif action == R.BACK:
            self.close_pressed()
            self.save_state(self.engine.back(self.state, self.today))
            self.ask()
        elif action == R.SKIP:
            self.apply(self.engine.skip(self.state, self.today), prompt)
        elif action == R.CANCEL:
            self.close_pressed()
            self.cmd_cancel("")

    def menu_date(self, action: str, index: int, menu: dict[str, Any]) -> None:
        prompt = self.prompt()
        if action == R.YES and isinstance(prompt, Prompt) and prompt.position.key == menu["position"]:
            self.apply(self.engine.answer(self.state, menu["value"], self.today), prompt)
            return
        self.close_pressed()
        self.ask()

    def menu_warning(self, action: str, index: int, menu: dict[str, Any]) -> None:
        if action == R.KEEP:
            self.apply(self.engine.confirm(self.state, self.today), None)
            return
        self.close_pressed()
        target = menu["fixes"][index]
        if index == 0:  # fix the answer just given: type it again
            self.save_state(self.engine.discard_pending(self.state))
        else:  # keep the new answer, then go to the question it disagrees with
            outcome = self.engine.confirm(self.state, self.today)
            if isinstance(outcome, Accepted):
                moved = self.engine.goto(outcome.state, target, self.today)
                self.save_state(moved if isinstance(moved, State) else outcome.state)
        self.ask()

    def menu_review(self, action: str, index: int, menu: dict[str, Any]) -> None:
        if action == R.SUBMIT:
            self.submit()
        elif action == R.EDIT:
            self.close_pressed()
            nonce = self.nonce("edit", draft=self.draft.id if self.draft else None)
            self.say(self.t(T.EDIT_ASK), [[Button(self.t(T.BACK), R.data(nonce, R.BACK))]], live=True)
        elif action == R.BACK:
            self.close_pressed()
            self.save_state(self.engine.back(self.state, self.today))
            self.ask()

    def menu_edit(self, action: str, index: int, menu: dict[str, Any]) -> None:
        self.close_pressed()
        self.ask()

    # -- answering ------------------------------------------------------------------------------------------
    def on_input(self) -> None:
        """Typed text, a photo or a location, as the answer to the current question."""
        prompt = self.prompt()
        self.result.outcome = f"answer:{self.incoming.kind.value}"
        if not isinstance(prompt, Prompt):
            self.ask()
            return
        incoming = self.incoming
        navigation = R.typed_navigation(self.t, incoming.text) if prompt.node.type is QuestionType.LOCATION else None
        if navigation is not None:  # ◀ / Skip / ✖ of the location question's keyboard
            self.menu_question(navigation, 0, {"position": prompt.position.key})
            return
        if not accepts(prompt, incoming.kind):
            self.say(self.t(T.NOT_AN_ANSWER))
            self.ask()
            return
        if incoming.problem:
            self.say(self.t(incoming.problem))
            self.ask()
            return
        raw: Any = incoming.value if incoming.kind in (Kind.PHOTO, Kind.LOCATION) else incoming.text
        if prompt.node.type is QuestionType.DATE and incoming.kind is Kind.TEXT:
            self.confirm_date(prompt, raw)
            return
        lookup = prompt.node.question.schools
        if lookup is not None and incoming.kind is Kind.TEXT:
            self.on_school_text(prompt, lookup, raw)
            return
        regions = prompt.node.question.regions
        if regions is not None and incoming.kind is Kind.TEXT:
            self.on_region_text(prompt, regions, raw)
            return
        self.apply(self.engine.answer(self.state, raw, self.today), prompt)

    def confirm_date(self, prompt: Prompt, raw: str) -> None:
        """Echo a typed date back in words before saving it: "5 Maret 2012 — umur 14 tahun. Benar?"."""
        value = parse_answer(prompt.node, raw, self.today)
        if not isinstance(value, str):
            self.apply(Refused(value), prompt)
            return
        day = dt.date.fromisoformat(value)
        constraint = prompt.node.question.constraint
        if constraint and (constraint.age_min is not None or constraint.age_max is not None):
            text = self.t(T.CONFIRM_DATE, date=day, age=age_on(day, self.today))
        else:
            text = self.t(T.CONFIRM_DATE_PLAIN, date=day)
        nonce = self.nonce("date", position=prompt.position.key, value=value)
        self.say(text, [[Button(self.t(T.YES), R.data(nonce, R.YES)), Button(self.t(T.CHANGE), R.data(nonce, R.NO))]], live=True)

    def apply(self, outcome: Accepted | Refused | NeedsConfirmation, prompt: Prompt | None) -> None:
        """Save what the engine decided and tell the person."""
        if isinstance(outcome, Refused):
            self.say("✗ " + describe_problem(self.t, outcome.problem))
            self.ask()
            return
        if isinstance(outcome, NeedsConfirmation):
            self.save_state(outcome.state)
            self.warn(outcome)
            return
        self.save_state(outcome.state)
        if prompt is not None:
            self.acknowledge(prompt, outcome.value)
        self.ask()

    def acknowledge(self, prompt: Prompt, value: Any) -> None:
        """Turn the question message into a record of the answer: "1.4 · Jenis kelamin: Perempuan ✓"."""
        header = f"{prompt.position.qid} · {qualified_label(self.t, self.engine, prompt.node, subject_name(self.engine, self.state.answers))}"
        text = self.t(T.ANSWERED, header=header, value=display_value(self.t, prompt.node, value, self.place_name))
        target = self.incoming.message_id if self.incoming.kind is Kind.CALLBACK else (self.menu or {}).get("message_id")
        if prompt.node.type is QuestionType.LOCATION:
            self.result.replies.append(Reply(text, reply_keyboard=[]))  # also removes the location button
        elif target:
            self.edit(target, text)

    def warn(self, outcome: NeedsConfirmation) -> None:
        pending = outcome.state.pending or {}
        here = str(pending.get("position", ""))
        fixes = [here] + sorted({str(w.params["question"]) for w in outcome.warnings if w.params.get("question") not in (None, here)})
        nonce = self.nonce("warning", fixes=fixes)
        lines = [self.t(T.CHECK_AGAIN)] + ["⚠ " + describe_problem(self.t, w) for w in outcome.warnings]
        row = [Button(self.t(T.FIX_THIS, question=q), R.data(nonce, R.FIX, i)) for i, q in enumerate(fixes)]
        self.say("\n".join(lines), [row, [Button(self.t(T.KEEP_ANYWAY), R.data(nonce, R.KEEP))]], live=True)

    def on_edit_code(self, code: str) -> None:
        self.result.outcome = "edit-code"
        if self.draft is None:
            self.say(self.t(T.NO_DRAFT))
            return
        moved = self.engine.goto(self.state, code.strip(), self.today)
        if isinstance(moved, Refused):
            nonce = self.nonce("edit", draft=self.draft.id)
            self.say(self.t(T.EDIT_UNKNOWN, code=code.strip()), [[Button(self.t(T.BACK), R.data(nonce, R.BACK))]], live=True)
            return
        self.save_state(moved)
        self.ask()

    # -- asking ---------------------------------------------------------------------------------------------
    def ask(self, selected: list[str] | None = None, edit: int | None = None, search: str | None = None) -> None:
        """Send the current question, or the review when every question is answered; ``search`` is text typed
        at a school question."""
        prompt = self.prompt()
        if isinstance(prompt, Complete):
            self.review()
            return
        if prompt.node.type is QuestionType.SELECT_MULTIPLE and selected is None:
            selected = list(prompt.current or [])
        schools, school_line = self.offered_schools(prompt, search) if prompt.node.question.schools else ([], None)
        lookup: dict[str, Any] = {"schools": [s.id for s in schools], "typed": search} if school_line is not None else {}
        places, region_line = self.offered_regions(prompt, search) if prompt.node.question.regions else ([], None)
        if region_line is not None:
            lookup = {"regions": [code for code, _ in places]}
        if edit is None and starts_section(self.engine, self.state.answers, prompt.node):
            self.say(f"【{section_title(self.t, self.engine, prompt.node)}】")
        nonce = self.nonce("question", position=prompt.position.key, selected=selected or [], **lookup)
        reply = R.question(self.t, self.engine, dict(self.state.answers), prompt, nonce, selected or [])
        if school_line is not None:
            reply.text += "\n" + school_line
            reply.buttons[:0] = self.school_rows(prompt, nonce, schools, search)
        if region_line is not None:
            reply.text += "\n" + region_line
            reply.buttons[:0] = self.region_rows(nonce, places)
        if prompt.current is not None and prompt.node.type is not QuestionType.SELECT_MULTIPLE:
            reply.text += "\n[" + display_value(self.t, prompt.node, prompt.current, self.place_name) + "]"
        if edit is not None:
            reply.edit_message_id = edit
            self.edited.add(edit)
        self.result.replies.append(reply)
        self.result.nonce = nonce

    def review(self) -> None:
        lines = summary_lines(self.t, self.engine, self.state.answers, self.engine.summary(self.state, self.today), self.place_name)
        chunks, current = [], self.t(T.REVIEW)
        for line in lines:
            if len(current) + len(line) + 1 > MESSAGE_LIMIT:
                chunks.append(current)
                current = self.t(T.REVIEW_MORE)
            current += "\n" + line
        for chunk in chunks:
            self.say(chunk)
        nonce = self.nonce("review", draft=self.draft.id if self.draft else None)
        buttons = [[Button(self.t(T.SUBMIT), R.data(nonce, R.SUBMIT)), Button(self.t(T.EDIT), R.data(nonce, R.EDIT))],
                   [Button(self.t(T.BACK), R.data(nonce, R.BACK))]]
        self.say(current, buttons, live=True)

    def submit(self) -> None:
        assert self.draft is not None
        try:
            submitted = self.store.submit(self.person, self.draft, self.engine, self.state, self.today)
        except SubmitRefused as refused:
            self.say(self.t(T.SUBMIT_FAILED, reason=self.t(refused.reason)))
            return
        self.close_pressed()  # the review stays readable above the receipt
        self.say(self.t(T.SUBMITTED, reference=submitted.reference))
        self.changes.active_draft_id = None
        self.changes.menu = None
        self.result.outcome = "submitted"
        if not submitted.already_submitted:
            if self.draft.case_id is None and submitted.case_id is not None and not submitted.child_created:
                self.say(self.t(T.ALREADY_FOLLOWED, reference=self.store.case_reference(submitted.case_id)))
            self.after_submit(self.draft.instrument, submitted, self.draft.case_id or submitted.case_id)
            if submitted.conflict_id is not None:
                self.announce_conflict(submitted.conflict_id)

    def start_form(self, name: str, *, case_id: int | None = None, prefill: dict[str, Any] | None = None) -> None:
        """A new draft, active at once; one about a case's child starts with the answers the case knows. A
        parent's own form waits for their consent; a form with personal questions opens with the privacy notice."""
        if self.consent_missing(name, case_id):
            return
        eng = engine_for(name)
        state = State(dict(prefill)) if prefill else None
        label = subject_name(eng, prefill) if prefill else None
        draft = self.store.new_draft(self.person.id, name, eng.compiled.version, case_id=case_id, state=state, label=label)
        self.activate(draft)
        inst = eng.compiled.instrument
        intro = "\n\n" + self.t.label(inst.intro) if inst.intro else ""
        self.say(self.t(T.STARTED, title=self.t.label(inst.title)) + intro)
        self.privacy_notice(eng)
        self.ask()

    # -- state ----------------------------------------------------------------------------------------------
    def activate(self, draft: DraftView) -> None:
        self.draft = draft
        self.changes.active_draft_id = draft.id

    @property
    def engine(self) -> Engine:
        assert self.draft is not None
        return engine_for(self.draft.instrument, self.draft.instrument_version)

    @property
    def state(self) -> State:
        assert self.draft is not None
        return self.draft.state

    def prompt(self) -> Prompt | Complete:
        return self.engine.current(self.state, self.today)

    def save_state(self, state: State) -> None:
        assert self.draft is not None
        self.draft = self.draft.with_state(state, subject_name(self.engine, state.answers))
        self.changes.draft = self.draft

    def title(self, draft: DraftView) -> str:
        return self.t.label(engine_for(draft.instrument, draft.instrument_version).compiled.instrument.title)

    def _progress_of(self, draft: DraftView) -> dict[str, int]:
        progress = engine_for(draft.instrument, draft.instrument_version).progress(draft.state, self.today)
        return {"answered": progress.answered, "expected": progress.expected}

    def translator_for(self, language: str) -> Translator:
        return translator(language)

    @staticmethod
    def qr(link: str) -> bytes:
        return qr_png(link)

    def nonce(self, kind: str, **fields: Any) -> str:
        """A fresh live keyboard: the previous one's buttons stop working."""
        nonce = R.new_nonce()
        self.changes.menu = {"nonce": nonce, "kind": kind, **fields}
        self.result.nonce = nonce
        return nonce

    # -- replies --------------------------------------------------------------------------------------------
    def say(self, text: str, buttons: list[list[Button]] | None = None, *, live: bool = False) -> None:
        self.result.replies.append(Reply(text, buttons or [], live=live))

    def edit(self, message_id: int, text: str) -> None:
        self.edited.add(message_id)
        self.result.replies.append(Reply(text, edit_message_id=message_id))

    def edit_pressed(self, text: str) -> None:
        """Replace the pressed button's message by a plain record of the choice."""
        if self.incoming.message_id:
            self.edit(self.incoming.message_id, text)

    def close_pressed(self) -> None:
        if self.incoming.message_id:
            self.result.close_message_id = self.incoming.message_id
            self.edited.add(self.incoming.message_id)

    def _close_old_keyboard(self) -> None:
        """When a new live keyboard replaces the old one, the old message's buttons disappear."""
        old = (self.menu or {}).get("message_id")
        if old and self.changes.menu is not KEEP and old not in self.edited and self.result.close_message_id is None:
            self.result.close_message_id = old


LANGUAGE_WORDS = {"id": ("id", "indonesia", "indonesian", "bahasa indonesia"), "en": ("en", "english", "inggris"),
                  "jv": ("jv", "jawa", "javanese", "basa jawa", "bahasa jawa")}
"""What people type after /bahasa, by language."""


def language_named(wanted: str) -> str | None:
    """The language a ``/bahasa`` argument names (``en``, ``English``, ``jawa``), or None."""
    word = " ".join(wanted.casefold().split())
    return next((code for code, words in LANGUAGE_WORDS.items() if word in words), None)


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


def _grid(buttons: list[Button], width: int = 2) -> list[list[Button]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def qr_png(link: str) -> bytes:
    """The invitation as a QR code, for a volunteer to scan from the coordinator's phone."""
    import segno  # loads with the first invitation shown

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()

"""Every way into a chat turn, in explicit tables: commands, live keyboards, notice buttons, what follows a form.

:mod:`bot.conversation` dispatches through these tables and nothing else (no handler is found by building its
name). :data:`COMMANDS` is the one list of commands: it feeds Telegram's command menu (:mod:`bot.app`), the
dispatch, the role check before a command runs, and ``/help``. Adding a command is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot import programme_texts as P
from bot import texts as T
from bot.handlers import (
    account,
    answering,
    assistance,
    case_views,
    casework,
    conflicts,
    forms,
    kecamatan_check,
    privacy,
    programme,
    programme_lists,
    referrals,
    reports,
    school_acceptance,
)
from bot.handlers.dashboard import CMD_DASHBOARD, cmd_dashboard
from bot.turn import AfterSubmit, CommandHandler, FileHandler, MenuHandler, NoticeHandler, TextHandler, Turn
from core.authz import TEAM
from storage.models import Role
from web.auth import DASHBOARD_ROLES

EVERYONE: Final = frozenset(Role)
TEAMS: Final = frozenset(TEAM)
KABUPATEN: Final = frozenset({Role.TIM_KABUPATEN, Role.ADMIN})
ASSISTANCE_ROLES: Final = frozenset({Role.PENDAMPING, Role.ORANG_TUA, *TEAM})


@dataclass(frozen=True)
class Command:
    """A chat command: what runs it, who may use it, and how the command menu and ``/help`` describe it."""

    handler: CommandHandler
    description: str
    """A message id (``bot.texts.CMD_*``), shown in each person's language."""
    roles: frozenset[Role] = EVERYONE
    """Roles that may use it; anyone else is refused politely (and audited) before the handler runs. The handler
    still checks the region and the relation to a child."""
    action: str = ""
    """The word for the audit line of a refusal (``denied:<action>``); the command's name when empty."""


def cmd_start(turn: Turn, payload: str) -> None:
    """``/start``: a welcome and what the person can do; with a deep link's payload, what the link opens."""
    if payload.strip():
        account.open_start_link(turn, payload.strip())
        return
    turn.say(turn.t(T.WELCOME, name=turn.person.name or "") + "\n\n" + help_text(turn))


def cmd_help(turn: Turn, _: str) -> None:
    turn.say(help_text(turn))


def help_text(turn: Turn) -> str:
    """The commands this person's role may use, described as in Telegram's command menu."""
    role = Role(turn.person.role)
    lines = [f"/{name} — {turn.t(command.description)}" for name, command in COMMANDS.items()
             if role in command.roles and name not in ("start", "help")]
    return "\n".join([turn.t(T.HELP_TITLE), *lines, turn.t(T.HELP_SAVED)])


COMMANDS: Final[dict[str, Command]] = {
    "start": Command(cmd_start, T.CMD_START),
    "usul": Command(forms.cmd_propose, T.CMD_PROPOSE),
    "isi": Command(forms.cmd_fill, T.CMD_FILL),
    "lanjut": Command(forms.cmd_continue, T.CMD_CONTINUE),
    "draf": Command(forms.cmd_drafts, T.CMD_DRAFTS),
    "batal": Command(forms.cmd_cancel, T.CMD_CANCEL),
    "bahasa": Command(account.cmd_language, T.CMD_LANGUAGE),
    "undang": Command(account.cmd_invite, T.CMD_INVITE, TEAMS, "invite"),
    "dataku": Command(account.cmd_mydata, T.CMD_MYDATA),
    "koreksi": Command(account.cmd_correction, T.CMD_CORRECTION),
    "hapus": Command(account.cmd_deletion, T.CMD_DELETION),
    "kasus": Command(case_views.cmd_cases, T.CMD_CASES),
    "tugaskan": Command(casework.cmd_assign, T.CMD_ASSIGN, TEAMS, "assign"),
    "periksa": Command(kecamatan_check.cmd_check, T.CMD_CHECK, frozenset({Role.TIM_KECAMATAN, Role.ADMIN}), "check"),
    "konflik": Command(conflicts.cmd_conflicts, T.CMD_CONFLICTS, TEAMS, "conflicts"),
    "target": Command(programme.cmd_target, T.CMD_TARGET, frozenset({Role.TIM_KABUPATEN, Role.ADMIN}), "set_targets"),
    "rujuk": Command(referrals.cmd_refer, P.CMD_REFER, frozenset(referrals.REFERRERS), "refer"),
    "rujukan": Command(referrals.cmd_referrals, P.CMD_REFERRALS, frozenset(referrals.REFERRERS), "referrals"),
    "bantuan": Command(assistance.cmd_assistance, P.CMD_ASSISTANCE, ASSISTANCE_ROLES, "assistance"),
    "rekap": Command(reports.cmd_recap, T.CMD_RECAP, TEAMS, "recap"),
    "ekspor": Command(reports.cmd_export, T.CMD_EXPORT, TEAMS, "export"),
    "impor": Command(reports.cmd_import, T.CMD_IMPORT, frozenset({Role.TIM_KABUPATEN, Role.ADMIN}), "import"),
    "penerima": Command(programme_lists.cmd_recipients, P.CMD_RECIPIENTS, KABUPATEN, "recipients"),
    "sk": Command(programme_lists.cmd_bupati_list, P.CMD_BUPATI_LIST, KABUPATEN, "bupati_list"),
    "dasbor": Command(cmd_dashboard, CMD_DASHBOARD, frozenset(DASHBOARD_ROLES), "dashboard"),
    "help": Command(cmd_help, T.CMD_HELP),
}
"""Chat commands in the order of Telegram's command menu."""

MENUS: Final[dict[str, MenuHandler]] = {
    "question": answering.menu_question,
    "date": answering.menu_date,
    "warning": answering.menu_warning,
    "review": answering.menu_review,
    "edit": answering.menu_edit,
    "forms": forms.menu_forms,
    "drafts": forms.menu_drafts,
    "cancel": forms.menu_cancel,
    "language": account.menu_language,
    "invite_role": account.menu_invite_role,
    "invite_region": account.menu_invite_region,
    "invite_school": account.menu_invite_school,
    "consent": privacy.menu_consent,
    "withdraw": privacy.menu_withdraw,
    "case": case_views.menu_case,
    "verify": casework.menu_verify,
    "reason": casework.menu_reason,
    "assign_case": casework.menu_assign_case,
    "assign_person": casework.menu_assign_person,
    "import": reports.menu_import,
    "check_desa": kecamatan_check.menu_check_desa,
    "check_cases": kecamatan_check.menu_check_cases,
    "check_note": kecamatan_check.menu_check_note,
    "school_refusal": school_acceptance.menu_school_refusal,
    "refer_agency": referrals.menu_refer_agency,
    "refer_due": referrals.menu_refer_due,
    "referral": referrals.menu_referral,
    "assistance": assistance.menu_assistance,
}
"""Presses on the live keyboard, by the keyboard's kind (``Turn.nonce(kind, …)``)."""

TEXT_MENUS: Final[dict[str, TextHandler]] = {
    "edit": answering.on_edit_code,
    "reason": casework.on_reason_text,
    "invite_school": account.on_invite_school_text,
    "check_note": kecamatan_check.on_check_note,
    "school_refusal": school_acceptance.on_school_refusal,
    "refer_due": referrals.on_refer_due,
    "referral_note": referrals.on_referral_note,
    "assistance_note": assistance.on_assistance_note,
}
"""Live keyboards that wait for typed text (a question code, a reason, a note, a search), by their kind."""

DOCUMENT_MENUS: Final[dict[str, FileHandler]] = {
    "import": reports.on_import_file,
}
"""Live keyboards that wait for a file (``turn.incoming.value``), by their kind."""

PHOTO_MENUS: Final[dict[str, FileHandler]] = {
    "receipt": assistance.on_receipt,
}
"""Live keyboards that wait for a photo (kept encrypted by the router: ``turn.incoming.value``), by their kind."""

NOTICES: Final[dict[str, NoticeHandler]] = {
    "take_proposal": casework.notice_take_proposal,
    "use_existing": casework.notice_use_existing,
    "visit_log": casework.notice_visit_log,
    "monitoring": casework.notice_monitoring,
    "record_return": casework.notice_record_return,
    "invite_parent": casework.notice_invite_parent,
    "fill_kesediaan": casework.notice_fill_kesediaan,
    "fill_pemilihan": casework.notice_fill_pemilihan,
    "risk_indicators": programme.notice_risk_indicators,
    "accept_school": school_acceptance.notice_accept_school,
    "refuse_school": school_acceptance.notice_refuse_school,
    "conflict": conflicts.notice_conflict,
    "refer": referrals.notice_refer,
}
"""Presses on a notice's one-off button (``Turn.notice_button(person, kind, …)``), by kind."""

AFTER_SUBMIT: Final[dict[str, AfterSubmit]] = {
    "usulan": casework.after_usulan,
    "rekonfirmasi": casework.after_rekonfirmasi,
    "pendampingan": casework.after_pendampingan,
    "kesediaan": casework.after_kesediaan,
    "pemilihan-sekolah": casework.after_pemilihan_sekolah,
    "kembali-sekolah": casework.after_kembali_sekolah,
    "monitoring": casework.after_monitoring,
    "rumah-tangga": programme.after_roster,
    "indikator-risiko": programme.after_risk_indicators,
}
"""What follows a sent form, by instrument; instruments not listed are stored and receipted only."""

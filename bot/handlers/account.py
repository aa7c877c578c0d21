"""The person and their account: joining by an invitation link, the language, inviting others, and their rights
over their own data (``/dataku``, ``/koreksi``, ``/hapus``; UU PDP 27/2022)."""

from __future__ import annotations

from bot import render as R
from bot import texts as T
from bot.handlers.asking import ask
from bot.handlers.case_views import joined_parent, open_case_link
from bot.handlers.privacy import my_children, withdraw_consents
from bot.model import Button, Kind, Reply
from bot.qr import qr_png
from bot.turn import CASE_LINK_PREFIX, Menu, Turn
from cases.schools import school_by_id, search_schools
from core.authz import ROLE_NAMES, may_invite
from core.i18n import LANGUAGE_NAMES, LANGUAGES
from storage.models import DataRequestKind, Role
from storage.repositories.invitations import ESCALATED, InvitationError

INVITATION_DAYS = 7
LANGUAGE_WORDS = {"id": ("id", "indonesia", "indonesian", "bahasa indonesia"), "en": ("en", "english", "inggris"),
                  "jv": ("jv", "jawa", "javanese", "basa jawa", "bahasa jawa")}
"""What people type after /bahasa, by language."""


def open_start_link(turn: Turn, payload: str) -> None:
    """``/start <payload>`` from a deep link: a letter's QR code (``kasus-…``) or an invitation token."""
    if payload.startswith(CASE_LINK_PREFIX):
        open_case_link(turn, payload.removeprefix(CASE_LINK_PREFIX))
    else:
        join(turn, payload)


def join(turn: Turn, token: str) -> None:
    """Accept an invitation from a deep link (``/start <token>``)."""
    try:
        joined = turn.store.redeem(token, turn.person.id)
    except InvitationError as refused:
        turn.say(turn.t(T.INVITATION_REFUSED[refused.reason]))
        turn.result.outcome = f"invitation-refused:{refused.reason}"
        alert_inviter(turn, refused)
        return
    if joined.child_id is not None:
        turn.say(turn.t(T.JOINED_PARENT, child=turn.store.child_name(joined.child_id)))
        if joined.case_id is not None:
            joined_parent(turn, joined.case_id)
    else:
        turn.say(turn.t(T.JOINED, role=turn.t(ROLE_NAMES[joined.role.value]), region=turn.store.region_name(joined.region_code)))
    turn.result.outcome = "joined"


def alert_inviter(turn: Turn, refused: InvitationError) -> None:
    """A parent's link opened by someone else: its sender (else the area's team) hears who tried."""
    if refused.reason not in ESCALATED:
        return
    sender = turn.store.chat_of(refused.created_by)
    for chat_id, language in [sender] if sender else turn.store.coordinators(refused.region_code):
        t = turn.translator_for(language)
        text = t(T.INVITATION_MISUSED, child=turn.store.child_name(refused.child_id), name=turn.person.name or "—",
                 role=t(ROLE_NAMES[turn.person.role]), region=turn.store.region_name(turn.person.region_code))
        turn.notify(chat_id, Reply(text))


# -- language -----------------------------------------------------------------------------------------------
def cmd_language(turn: Turn, wanted: str) -> None:
    """``/bahasa`` offers the languages; ``/bahasa en`` (or ``English``, ``jawa``) switches at once."""
    language = language_named(wanted)
    if language is not None:
        switch_language(turn, language)
        return
    nonce = turn.nonce("language", languages=list(LANGUAGES))
    buttons = [[Button(LANGUAGE_NAMES[code], R.data(nonce, R.LANGUAGE, i))] for i, code in enumerate(LANGUAGES)]
    turn.say(turn.t(T.LANGUAGE_ASK), buttons, live=True)


def menu_language(turn: Turn, action: str, index: int, menu: Menu) -> None:
    switch_language(turn, menu["languages"][index])


def switch_language(turn: Turn, language: str) -> None:
    """Speak ``language`` from now on and ask the current question again, in it."""
    turn.changes.language = language
    turn.t = turn.translator_for(language)
    text = turn.t(T.LANGUAGE_SET, language=LANGUAGE_NAMES[language])
    if turn.incoming.kind is Kind.CALLBACK:
        turn.edit_pressed(text)
    else:
        turn.say(text)
    turn.changes.menu = None
    if turn.draft is not None:
        ask(turn)


def language_named(wanted: str) -> str | None:
    """The language a ``/bahasa`` argument names (``en``, ``English``, ``jawa``), or None."""
    word = " ".join(wanted.casefold().split())
    return next((code for code, words in LANGUAGE_WORDS.items() if word in words), None)


# -- inviting -----------------------------------------------------------------------------------------------
def cmd_invite(turn: Turn, _: str) -> None:
    """/undang: a team member invites roles below them, inside their own region."""
    actor = turn.actor
    roles = [r for r in Role if r is not Role.MASYARAKAT and actor.region_code and may_invite(actor, r, actor.region_code + ".x")]
    roles = [r for r in roles if r is not Role.ORANG_TUA]  # parents are invited for a child, by its pendamping
    if not roles:
        turn.deny("invite")
        return
    nonce = turn.nonce("invite_role", roles=[r.value for r in roles])
    buttons = [[Button(turn.t(ROLE_NAMES[r.value]), R.data(nonce, R.CHOICE, i))] for i, r in enumerate(roles)]
    turn.say(turn.t(T.INVITE_WHICH_ROLE), buttons, live=True)


def menu_invite_role(turn: Turn, action: str, index: int, menu: Menu) -> None:
    role = Role(menu["roles"][index])
    scope = turn.actor.region_code or ""
    wanted_level = {Role.TIM_KECAMATAN: 3, Role.TIM_DESA: 4}.get(role)
    if wanted_level is not None and scope.count(".") + 1 < wanted_level:
        areas = turn.store.sub_regions(scope) if scope.count(".") + 2 == wanted_level else []
        if areas:
            nonce = turn.nonce("invite_region", role=role.value, regions=[c for c, _ in areas])
            buttons = [Button(name, R.data(nonce, R.CHOICE, i)) for i, (_, name) in enumerate(areas)]
            turn.edit_pressed(turn.t(ROLE_NAMES[role.value]) + " ✓")
            turn.say(turn.t(T.INVITE_WHICH_REGION), [buttons[i : i + 2] for i in range(0, len(buttons), 2)], live=True)
            return
    turn.edit_pressed(turn.t(ROLE_NAMES[role.value]) + " ✓")
    if role is Role.OPERATOR_SEKOLAH:
        ask_invite_school(turn, None)
        return
    send_invitation(turn, role, scope)


def menu_invite_region(turn: Turn, action: str, index: int, menu: Menu) -> None:
    region = menu["regions"][index]
    turn.edit_pressed(turn.store.region_name(region) + " ✓")
    send_invitation(turn, Role(menu["role"]), region)


def ask_invite_school(turn: Turn, search: str | None) -> None:
    """A school operator is invited for one school of the inviter's area (they will see only its pupils)."""
    schools = search_schools(turn.db, turn.actor.region_code, None, search, limit=20)
    if not schools:
        turn.say(turn.t(T.INVITE_NO_SCHOOL))
    nonce = turn.nonce("invite_school", schools=[s.id for s in schools])
    rows = [[Button(f"{s.name} · {s.npsn}", R.data(nonce, R.CHOICE, i))] for i, s in enumerate(schools)]
    turn.say(turn.t(T.INVITE_WHICH_SCHOOL), rows + [[Button(turn.t(T.CANCEL), R.data(nonce, R.CANCEL))]], live=True)


def on_invite_school_text(turn: Turn, text: str) -> None:
    """Part of a school's name or its NPSN, typed while the school list is shown: the list narrows to it."""
    ask_invite_school(turn, " ".join(text.split()))


def menu_invite_school(turn: Turn, action: str, index: int, menu: Menu) -> None:
    if action == R.CANCEL:
        turn.close_pressed()
        turn.changes.menu = None
        return
    school = school_by_id(turn.db, menu["schools"][index])
    if school is None or school.region_code is None:
        turn.result.callback_notice = turn.t(T.QUESTION_CLOSED)
        return
    turn.edit_pressed(f"{school.name} · {school.npsn} ✓")
    send_invitation(turn, Role.OPERATOR_SEKOLAH, school.region_code, school.id)


def send_invitation(turn: Turn, role: Role, region: str, school_id: int | None = None) -> None:
    if not may_invite(turn.actor, role, region):
        turn.deny("invite", "region", region, region)
        return
    token = turn.store.invite(turn.person.id, role, region, INVITATION_DAYS, school_id)
    link = turn.start_link(token)
    caption = turn.t(T.INVITE_READY, role=turn.t(ROLE_NAMES[role.value]), region=turn.store.region_name(region), days=INVITATION_DAYS, link=link)
    turn.reply(Reply(caption, photo=qr_png(link)))
    turn.changes.menu = None
    turn.result.outcome = "invited"


# -- the person's own data ----------------------------------------------------------------------------------
def cmd_mydata(turn: Turn, _: str) -> None:
    data = turn.store.my_data(turn.person.id)
    turn.say(turn.t(T.MYDATA, name=data["name"], role=turn.t(ROLE_NAMES[data["role"]]), region=turn.store.region_name(data["region"]),
                    language=LANGUAGE_NAMES[data["language"]], since=data["since"], drafts=data["drafts"], responses=data["responses"]))
    my_children(turn)


def cmd_correction(turn: Turn, detail: str) -> None:
    if not detail.strip():
        turn.say(turn.t(T.CORRECTION_ASK))
        return
    data_request(turn, DataRequestKind.CORRECTION, detail.strip())


def cmd_deletion(turn: Turn, detail: str) -> None:
    withdraw_consents(turn, None)
    data_request(turn, DataRequestKind.DELETION, detail.strip())


def data_request(turn: Turn, kind: DataRequestKind, detail: str) -> None:
    """A UU PDP request: recorded, acknowledged with a number, and sent to the coordinators of the area."""
    number = turn.store.data_request(turn.person.id, kind, detail)
    turn.say(turn.t(T.REQUEST_RECEIVED, number=number))
    for chat_id, language in turn.store.coordinators(turn.person.region_code):
        t = turn.translator_for(language)
        text = t(T.REQUEST_FOR_TEAM, number=number, name=turn.person.name, role=t(ROLE_NAMES[turn.person.role]),
                 region=turn.store.region_name(turn.person.region_code), kind=t(T.REQUEST_KIND[kind.value]), detail=detail)
        turn.notify(chat_id, Reply(text))
    turn.result.outcome = f"data-request:{kind.value}"

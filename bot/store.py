"""What the conversation reads and writes, over :mod:`storage`: one transaction per turn.

A turn works on a store :meth:`BotStore.joined` to its unit of work: the update id is claimed first, and it
commits together with everything the turn changed (the draft's new state, the live keyboard, the active draft,
the language, a submitted form and what it moved), so a redelivered update finds its id and changes nothing,
and a crash before the commit leaves the person exactly where the last reply said.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Executable, Table, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.model import Incoming
from bot.texts import NO_REGION
from cases.relations import followed as followed_by
from cases.relations import relations as relations_of
from flows.engine import Engine, State
from storage.db import Database
from storage.derived import pendamping_changed
from storage.models import (
    ButtonToken,
    Case,
    Child,
    DataRequest,
    DataRequestKind,
    DraftStatus,
    InstrumentSession,
    Language,
    Person,
    ProcessedUpdate,
    Region,
    Response,
    Role,
    Sex,
)
from storage.published import published
from storage.repositories.audit import record
from storage.repositories.children import ChildIdentity
from storage.repositories.drafts import cancel_draft, create_draft, list_drafts
from storage.repositories.invitations import Redeemed, add_invitation, children_of_parent, redeem_invitation
from storage.repositories.people import get_or_create_person
from storage.repositories.responses import Submission
from storage.types import utcnow
from storage.uow import UnitOfWork

KEEP: Any = object()
"""A change that was not made this turn."""


class DraftClosed(RuntimeError):
    """The turn's draft was submitted or cancelled after the turn read it: the whole turn is rolled back."""

    def __init__(self, draft_id: int) -> None:
        super().__init__(f"draft {draft_id} is closed")


class SubmitRefused(Exception):
    """The form cannot be stored yet; ``reason`` is a message id for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    language: str
    role: str
    region_code: str | None


@dataclass(frozen=True)
class DraftView:
    id: int
    instrument: str
    instrument_version: int
    state: State
    label: str | None
    row_version: int
    case_id: int | None = None

    def with_state(self, state: State, label: str | None) -> DraftView:
        return replace(self, state=state, label=label or self.label)


@dataclass(frozen=True)
class Context:
    person: PersonView
    draft: DraftView | None
    menu: dict[str, Any] | None


@dataclass
class Changes:
    menu: Any = KEEP
    active_draft_id: Any = KEEP
    language: Any = KEEP
    draft: DraftView | None = None


def _draft_view(row: InstrumentSession) -> DraftView:
    return DraftView(row.id, row.instrument, row.instrument_version, State.from_json(row.state or {}), row.label, row.version, row.case_id)


# The statements of every turn, built once (their SQL is compiled once per dialect and cached): Core on the
# tables, through the column types (a draft's state is sealed and opened by ``SealedJSON`` as everywhere).
_PEOPLE: Table = Person.__table__  # type: ignore[assignment]
_DRAFTS: Table = InstrumentSession.__table__  # type: ignore[assignment]
_LOAD = (
    select(_PEOPLE.c.id, _PEOPLE.c.telegram_chat_id, _PEOPLE.c.display_name, _PEOPLE.c.language, _PEOPLE.c.role,
           _PEOPLE.c.region_code, _PEOPLE.c.menu, _DRAFTS.c.id, _DRAFTS.c.instrument, _DRAFTS.c.instrument_version,
           _DRAFTS.c.state, _DRAFTS.c.label, _DRAFTS.c.version, _DRAFTS.c.case_id)
    .select_from(_PEOPLE.outerjoin(_DRAFTS, and_(_DRAFTS.c.id == _PEOPLE.c.active_draft_id, _DRAFTS.c.status == DraftStatus.DRAFT)))
    .where(_PEOPLE.c.telegram_user_id == bindparam("user_id"))
)
"""The person and their active draft (if it is still a draft), in one query."""
_SAVE_DRAFT = (
    update(_DRAFTS)
    .where(_DRAFTS.c.id == bindparam("draft_id"), _DRAFTS.c.status == DraftStatus.DRAFT)
    .values(state=bindparam("new_state"), label=bindparam("new_label"), current_question=bindparam("cursor"),
            version=_DRAFTS.c.version + 1, updated_at=bindparam("now"))
)
_SAVE_PERSON = update(_PEOPLE).where(_PEOPLE.c.id == bindparam("person_id"))
"""The columns set are the keys given with it (the live keyboard, the active draft, the language)."""


@functools.cache
def _save_both(columns: tuple[str, ...]) -> Executable:
    """PostgreSQL: :data:`_SAVE_DRAFT` and the person's ``columns`` (bound as ``set_<column>``, the person as ``who``)
    in one statement, two UPDATEs in CTEs; it yields how many drafts were written (0 when the draft is closed). No
    parameter is named like a column of either table: an UPDATE in a CTE would set it."""
    person = (update(_PEOPLE).where(_PEOPLE.c.id == bindparam("who"))
              .values({**{c: bindparam("set_" + c) for c in columns}, "updated_at": bindparam("now")}).cte("person"))
    saved = _SAVE_DRAFT.returning(_DRAFTS.c.id).cte("saved")
    return select(func.count()).select_from(saved).add_cte(person)


def _claim(dialect: str) -> Executable:
    """``INSERT`` of the update id that yields a row only when the id was new (``ON CONFLICT DO NOTHING``)."""
    table: Table = ProcessedUpdate.__table__  # type: ignore[assignment]
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return insert.on_conflict_do_nothing(index_elements=["bot_id", "update_id"]).returning(table.c.bot_id)


_CLAIM = {"postgresql": _claim("postgresql"), "sqlite": _claim("sqlite")}
_PROCESSED: Table = ProcessedUpdate.__table__  # type: ignore[assignment]
_CLAIMED = (
    postgresql.insert(_PROCESSED)
    .values(bot_id=bindparam("bot_id"), update_id=bindparam("update_id"), processed_at=bindparam("processed_at"))
    .on_conflict_do_nothing(index_elements=["bot_id", "update_id"]).returning(_PROCESSED.c.bot_id).cte("claimed")
)
_CLAIM_AND_LOAD = select(*_LOAD.selected_columns).select_from(
    _CLAIMED.outerjoin(_PEOPLE, _PEOPLE.c.telegram_user_id == bindparam("user_id"))
    .outerjoin(_DRAFTS, and_(_DRAFTS.c.id == _PEOPLE.c.active_draft_id, _DRAFTS.c.status == DraftStatus.DRAFT))
)
"""PostgreSQL: the claim and :data:`_LOAD` in one round trip. No row when the update id was claimed already; one
row (the person's columns NULL when there is no such person) when it was new."""


class BotStore:
    """The bot's reads and writes; joined to a turn's unit of work, they all go through its one transaction."""

    def __init__(self, db: Database, bot_id: int = 0, default_language: str = "id", uow: UnitOfWork | None = None) -> None:
        self.db = db
        self.bot_id = bot_id
        """Update ids are per bot: two bots may share a database."""
        self.default_language = Language(default_language)
        self.uow = uow
        """The unit of work this store is joined to (:meth:`joined`), if any."""

    def joined(self, uow: UnitOfWork) -> BotStore:
        """This store inside a unit of work: every read and write of the turn goes through its one transaction."""
        return BotStore(uow.database, self.bot_id, self.default_language.value, uow)

    def _turn_connection(self) -> Connection:
        """The connection of the turn's transaction, for the statements every turn runs: they need no SAVEPOINT
        of their own (if one fails, the whole turn does) and no ORM bookkeeping."""
        if self.uow is None:
            raise RuntimeError("load and save run inside a turn's unit of work (BotStore.joined)")
        return self.uow.session.connection()

    def load(self, incoming: Incoming) -> Context | None:
        """Claim the update and read the person's saved state, or None when the update was handled already
        (nothing is written then). Call it first in the turn's unit of work: the claim commits with the turn."""
        connection = self._turn_connection()
        claim = {"bot_id": self.bot_id, "update_id": incoming.update_id, "processed_at": utcnow()}
        if connection.dialect.name == "postgresql":
            row = connection.execute(_CLAIM_AND_LOAD, {**claim, "user_id": incoming.user_id}).first()
            if row is None:
                return None
            if row[0] is None:
                row = None
        else:
            if connection.execute(_CLAIM["sqlite"], claim).first() is None:
                return None
            row = connection.execute(_LOAD, {"user_id": incoming.user_id}).first()
        if row is not None and row[1] == incoming.chat_id and row[2] == (incoming.name or row[2]):
            draft = None if row[7] is None else DraftView(row[7], row[8], row[9], State.from_json(row[10] or {}), row[11], row[12], row[13])
            return Context(PersonView(row[0], row[2], row[3].value, row[4].value, row[5]), draft, row[6])
        hint = incoming.language_hint
        language = Language(hint) if hint in {code.value for code in Language} else self.default_language
        person = get_or_create_person(self.db, incoming.user_id, chat_id=incoming.chat_id, display_name=incoming.name, language=language)
        with self.db.read() as session:
            return self._context(session, person)

    @staticmethod
    def _context(session: Session, person: Person) -> Context:
        draft = None
        if person.active_draft_id is not None:
            row = session.get(InstrumentSession, person.active_draft_id)
            if row is not None and row.status is DraftStatus.DRAFT:
                draft = _draft_view(row)
        view = PersonView(person.id, person.display_name, person.language.value, person.role.value, person.region_code)
        return Context(view, draft, person.menu)

    def save(self, person_id: int, changes: Changes) -> None:
        """Write what the turn changed in the person's conversation (the draft, the live keyboard, the active
        draft, the language), after whatever the handlers wrote."""
        assert self.uow is not None, "save runs inside a turn's unit of work (BotStore.joined)"
        self.uow.session.flush()  # the handlers' pending rows first (a new draft the person now points at)
        connection = self._turn_connection()
        now = utcnow()
        values: dict[str, Any] = {}
        if changes.menu is not KEEP:
            values["menu"] = changes.menu
        if changes.active_draft_id is not KEEP:
            values["active_draft_id"] = changes.active_draft_id
        if changes.language is not KEEP:
            values["language"] = Language(changes.language)
        if changes.draft is not None:
            d = changes.draft
            draft = {"draft_id": d.id, "new_state": d.state.to_json(), "new_label": d.label, "cursor": d.state.cursor, "now": now}
            if values and connection.dialect.name == "postgresql":  # both writes in one round trip
                both = _save_both(tuple(values))
                saved = connection.execute(both, {**draft, "who": person_id, **{"set_" + k: v for k, v in values.items()}}).scalar()
                if saved != 1:
                    raise DraftClosed(d.id)
                return
            if connection.execute(_SAVE_DRAFT, draft).rowcount != 1:
                raise DraftClosed(d.id)
        if values:
            connection.execute(_SAVE_PERSON, {"person_id": person_id, **values, "updated_at": now})

    def remember_live_messages(self, sent: dict[int, tuple[str, int]]) -> int:
        """Record, per person, the message carrying their live keyboard (``person id → (nonce, message id)``) where
        that keyboard is still the live one; one transaction. Returns how many were recorded."""
        done = 0
        with self.db.write() as session:
            for person in session.scalars(select(Person).where(Person.id.in_(sent))):
                nonce, message_id = sent[person.id]
                if person.menu and person.menu.get("nonce") == nonce:
                    person.menu = {**person.menu, "message_id": message_id}
                    done += 1
        return done

    # -- people, roles and personal data (issue 6) -----------------------------------------------------------
    def redeem(self, token: str, person_id: int) -> Redeemed:
        """Use an invitation (raises ``InvitationError`` with the reason; the refusal is audited)."""
        return redeem_invitation(self.db, token, person_id)

    def invite(self, actor_id: int, role: Role, region: str, days: int, school_id: int | None = None) -> str:
        with self.db.write() as session:
            return add_invitation(session, role, region, created_by=actor_id, validity=dt.timedelta(days=days), school_id=school_id)

    def region_name(self, code: str | None) -> str:
        if not code:
            return "—"
        with self.db.read() as session:
            return session.scalar(select(Region.name).where(Region.code == code)) or code

    def sub_regions(self, code: str) -> list[tuple[str, str]]:
        """The regions one level below ``code`` (the desa of a kecamatan), by name."""
        with self.db.read() as session:
            return [(c, n) for c, n in session.execute(select(Region.code, Region.name).where(Region.parent_code == code).order_by(Region.name))]

    def child_name(self, child_id: int | None) -> str:
        with self.db.read() as session:
            return (session.scalar(select(Child.name).where(Child.id == child_id)) if child_id else None) or "—"

    def my_data(self, person_id: int) -> dict[str, Any]:
        """What the system holds about a person, for /dataku (their own record: not an audited read)."""
        with self.db.read() as session:
            person = session.get(Person, person_id)
            assert person is not None
            drafts = session.scalar(select(func.count()).select_from(InstrumentSession).where(
                InstrumentSession.person_id == person_id, InstrumentSession.status == DraftStatus.DRAFT))
            responses = session.scalar(select(func.count()).select_from(Response).where(Response.submitted_by == person_id,
                                                                                                 published(Response)))
            return {"name": person.display_name, "role": person.role.value, "region": person.region_code,
                    "language": person.language.value, "since": person.created_at.date(), "drafts": drafts or 0, "responses": responses or 0}

    def data_request(self, person_id: int, kind: DataRequestKind, detail: str) -> int:
        with self.db.write() as session:
            request = DataRequest(person_id=person_id, kind=kind, detail=detail[:2000])
            session.add(request)
            session.flush()
            return request.id

    def coordinators(self, region_code: str | None) -> list[tuple[int, str]]:
        """``(chat id, language)`` of the team members responsible for a region: the nearest level that has any."""
        if not region_code:
            return []
        parts = region_code.split(".")
        scopes = [".".join(parts[:n]) for n in range(len(parts), 1, -1)]
        with self.db.read() as session:
            for scope in scopes:
                rows = session.execute(select(Person.telegram_chat_id, Person.language).where(
                    Person.region_code == scope, Person.role.in_([Role.TIM_DESA, Role.TIM_KECAMATAN, Role.TIM_KABUPATEN]),
                    Person.unreachable.is_(False), Person.telegram_chat_id.is_not(None))).all()
                if rows:
                    return [(chat, language.value) for chat, language in rows if chat is not None]
        return []

    def mark_unreachable(self, chat_ids: list[int]) -> None:
        """People who blocked the bot: reminders and notices go to their coordinator instead."""
        with self.db.write() as session:
            gone = session.scalars(
                update(Person).where(Person.telegram_chat_id.in_(chat_ids)).values(unreachable=True, updated_at=utcnow()).returning(Person.id)
            ).all()
            pendamping_changed(session, gone)

    def audit(self, action: str, actor_id: int, subject_type: str, subject_id: object, region: str | None, detail: dict[str, Any]) -> None:
        record(self.db, action, subject_type, subject_id, actor_id=actor_id, region_code=region, detail=detail)

    # -- casework reads (scoped by the caller's region or assignment) ---------------------------------------
    def chat_of(self, person_id: int | None) -> tuple[int, str] | None:
        """``(chat id, language)`` of a person who can be reached."""
        if person_id is None:
            return None
        with self.db.read() as session:
            person = session.get(Person, person_id)
            if person is None or person.telegram_chat_id is None or person.unreachable:
                return None
            return person.telegram_chat_id, person.language.value

    def cases_in(self, scope: str, statuses: tuple[str, ...]) -> list[tuple[int, str, str, str]]:
        """``(case id, reference, child name, status)`` of the cases inside ``scope`` with one of ``statuses``."""
        with self.db.read() as session:
            rows = session.execute(
                select(Case.id, Case.reference, Child.name, Case.status).join(Child, Child.id == Case.child_id)
                .where(Case.status.in_(statuses), (Case.region_code == scope) | Case.region_code.like(scope + ".%"), published(Case))
                .order_by(Case.id).limit(40)
            ).all()
            return [(r[0], r[1], r[2], r[3]) for r in rows]

    def area_cases(self, scope: str | None, offset: int, limit: int) -> tuple[list[tuple[int, str, str, str]], int]:
        """A page of ``(case id, reference, child name, status)`` inside ``scope`` (every case for None), newest
        first, and how many there are in all."""
        inside = published(Case) if scope is None else ((Case.region_code == scope) | Case.region_code.like(scope + ".%")) & published(Case)
        with self.db.read() as session:
            total = session.scalar(select(func.count(Case.id)).where(inside)) or 0
            rows = session.execute(
                select(Case.id, Case.reference, Child.name, Case.status).join(Child, Child.id == Case.child_id)
                .where(inside).order_by(Case.id.desc()).offset(offset).limit(limit)
            ).all()
            return [(r[0], r[1], r[2], r[3]) for r in rows], int(total)

    def cases_of(self, person_id: int) -> list[tuple[int, str, str, str]]:
        """``(case id, reference, child name, status)`` of the children a person follows (the first 40)."""
        with self.db.read() as session:
            followed = followed_by(session, person_id)
            if followed is None:
                return []
            query = select(Case.id, Case.reference, Child.name, Case.status).join(Child, Child.id == Case.child_id).where(followed, published(Case))
            return [(r[0], r[1], r[2], r[3]) for r in session.execute(query.order_by(Case.id).limit(40)).all()]

    def follows(self, person_id: int, case_id: int) -> bool:
        """Whether the person follows this case (any of their cases, not only the 40 that ``/kasus`` lists)."""
        with self.db.read() as session:
            followed = followed_by(session, person_id)
            return followed is not None and session.scalar(select(Case.id).where(Case.id == case_id, followed, published(Case))) is not None

    def relations(self, person_id: int, case_id: int) -> frozenset[str]:
        """How the person is related to this case right now (``assigned``, ``school``, ``parent``), for the
        buttons that act on it: checked on every press, since an assignment or a link may have changed."""
        with self.db.read() as session:
            person = session.get(Person, person_id)
            if person is None:
                return frozenset()
            return frozenset(name for name, condition in relations_of(session, person).items()
                             if session.scalar(select(Case.id).where(Case.id == case_id, condition, published(Case))) is not None)

    def pendamping_near(self, region_code: str) -> list[tuple[int, str]]:
        """Pendamping working in the case's kecamatan (or in its village)."""
        kecamatan = ".".join(region_code.split(".")[:3])
        with self.db.read() as session:
            rows = session.execute(
                select(Person.id, Person.display_name).where(
                    Person.role == Role.PENDAMPING,
                    (Person.region_code == kecamatan) | Person.region_code.like(kecamatan + ".%"),
                ).order_by(Person.display_name)
            ).all()
            return [(r[0], r[1]) for r in rows]

    def role_of(self, person_id: int) -> Role | None:
        with self.db.read() as session:
            return session.scalar(select(Person.role).where(Person.id == person_id))

    def parent_cases(self, person_id: int) -> list[int]:
        """The open cases of the children a person is the parent of (linked by the pendamping's invitation)."""
        with self.db.read() as session:
            return list(session.scalars(select(Case.id).where(Case.child_id.in_(children_of_parent(person_id)),
                                                              Case.duplicate_of.is_(None), published(Case)).order_by(Case.id)))

    def child_region(self, child_id: int) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(Child.region_code).where(Child.id == child_id))

    def case_reference(self, case_id: int) -> str:
        with self.db.read() as session:
            return session.scalar(select(Case.reference).where(Case.id == case_id)) or "?"

    def case_id_by_reference(self, reference: str) -> int | None:
        with self.db.read() as session:
            return session.scalar(select(Case.id).where(Case.reference == reference, published(Case)))

    def case_region(self, case_id: int) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(Case.region_code).where(Case.id == case_id))

    def child_of_case(self, case_id: int) -> Child | None:
        with self.db.read() as session:
            case = session.get(Case, case_id)
            return session.get(Child, case.child_id) if case else None

    # -- one-off buttons in notices -------------------------------------------------------------------------
    def issue_button(self, person_id: int, kind: str, payload: dict[str, Any]) -> str:
        """A button for one person's notice; the returned token is the whole callback data after ``a.``."""
        token = secrets.token_urlsafe(12)
        with self.db.write() as session:
            session.add(ButtonToken(token=token, person_id=person_id, kind=kind, payload=payload))
        return token

    def take_button(self, person_id: int, token: str) -> tuple[str, dict[str, Any]] | None:
        """What a pressed notice button does, once, and only for the person it was sent to."""
        with self.db.write() as session:
            claimed = session.execute(
                update(ButtonToken).where(ButtonToken.token == token, ButtonToken.person_id == person_id, ButtonToken.used_at.is_(None))
                .values(used_at=utcnow()).execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = session.get(ButtonToken, token)
            assert row is not None
            return row.kind, dict(row.payload)

    def drafts(self, person_id: int) -> list[DraftView]:
        return [_draft_view(row) for row in list_drafts(self.db, person_id)]

    def draft(self, person_id: int, draft_id: int) -> DraftView | None:
        return next((d for d in self.drafts(person_id) if d.id == draft_id), None)

    def new_draft(self, person_id: int, instrument: str, version: int, *, case_id: int | None = None,
                  state: State | None = None, label: str | None = None) -> DraftView:
        """A new draft; one started from a case is tied to it and may start with what is known already."""
        row = create_draft(self.db, person_id, instrument, version, state=(state or State()).to_json(), case_id=case_id, label=label)
        return _draft_view(row)

    def cancel(self, draft_id: int) -> None:
        cancel_draft(self.db, draft_id)

    def submission(self, person: PersonView, draft: DraftView, engine: Engine, state: State) -> Submission:
        """A finished form as storage takes it (``cases.opening.submit_form`` stores it)."""
        subject = engine.compiled.instrument.subject
        answers = dict(state.answers)
        answered = [answers.get(ref) for ref in (subject.desa, subject.kecamatan) if ref]
        region = self._region_for(person, answered, draft.case_id)
        if region is None:
            raise SubmitRefused(NO_REGION)
        return Submission(
            instrument=draft.instrument,
            instrument_version=draft.instrument_version,
            answers=answers,
            submitted_by=person.id,
            region_code=region,
            draft_id=draft.id,
            child=_child_identity(engine, answers, region),
            location=next((v for v in answers.values() if isinstance(v, dict) and "latitude" in v), None),
        )

    def _region_for(self, person: PersonView, answered: list[Any], case_id: int | None) -> str | None:
        """Where a form belongs: the child's case, else the desa (or kecamatan) the form gives, else the
        volunteer's region."""
        with self.db.read() as session:
            case_region = session.scalar(select(Case.region_code).where(Case.id == case_id)) if case_id else None
            for code in (case_region, *answered, person.region_code):
                if isinstance(code, str) and session.scalar(select(Region.code).where(Region.code == code)):
                    return code
        return None


def _child_identity(engine: Engine, answers: dict[str, Any], region: str) -> ChildIdentity | None:
    """The child a form is about, from the questions its ``subject`` names (top-level ones only)."""
    subject = engine.compiled.instrument.subject
    nodes = engine.layout.nodes
    if not subject.name or nodes[subject.name].group is not None or not isinstance(answers.get(subject.name), str):
        return None

    def text(ref: str | None) -> str | None:
        value = answers.get(ref) if ref else None
        return value if isinstance(value, str) and value else None

    sex_code = text(subject.sex)
    sex_letter = next((c.sex_codes.get(sex_code) for c in engine.compiled.instrument.checks if c.sex == subject.sex and sex_code), None)
    born = text(subject.birth_date)
    return ChildIdentity(
        name=answers[subject.name],
        region_code=region,
        nik=text(subject.nik),
        nisn=text(subject.nisn),
        sex=Sex(sex_letter) if sex_letter in ("L", "P") else None,
        birth_place=text(subject.birth_place),
        birth_date=dt.date.fromisoformat(born) if born else None,
        address=text(subject.address),
    )

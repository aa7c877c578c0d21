"""Regions in the three time zones, people, cases with their dates, and a fake Telegram bot."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter

from storage.db import Database
from storage.derived import case_changed
from storage.models import (
    Assignment,
    Case,
    CaseEvent,
    Child,
    Language,
    Person,
    Region,
    RegionLevel,
    Response,
    Role,
    TimeZone,
    Visit,
)

UTC = dt.UTC
KABUPATEN, KECAMATAN, DESA, DESA_2 = "33.26", "33.26.01", "33.26.01.2001", "33.26.01.2002"
MAKASSAR_KEC, MAKASSAR_DESA = "73.71.01", "73.71.01.1001"
JAYAPURA_KEC, JAYAPURA_DESA = "91.71.01", "91.71.01.1001"
REGIONS = [
    (KABUPATEN, RegionLevel.KABUPATEN, "kabupaten", "Kabupaten Pekalongan", None, TimeZone.WIB),
    (KECAMATAN, RegionLevel.KECAMATAN, "kecamatan", "Kandangserang", KABUPATEN, TimeZone.WIB),
    (DESA, RegionLevel.DESA, "desa", "Klesem", KECAMATAN, TimeZone.WIB),
    (DESA_2, RegionLevel.DESA, "desa", "Bodas", KECAMATAN, TimeZone.WIB),
    ("73.71", RegionLevel.KABUPATEN, "kota", "Kota Makassar", None, TimeZone.WITA),
    (MAKASSAR_KEC, RegionLevel.KECAMATAN, "kecamatan", "Mariso", "73.71", TimeZone.WITA),
    (MAKASSAR_DESA, RegionLevel.DESA, "kelurahan", "Bontorannu", MAKASSAR_KEC, TimeZone.WITA),
    ("91.71", RegionLevel.KABUPATEN, "kota", "Kota Jayapura", None, TimeZone.WIT),
    (JAYAPURA_KEC, RegionLevel.KECAMATAN, "kecamatan", "Jayapura Utara", "91.71", TimeZone.WIT),
    (JAYAPURA_DESA, RegionLevel.DESA, "kelurahan", "Bhayangkara", JAYAPURA_KEC, TimeZone.WIT),
]


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, *, tz: str = "Asia/Jakarta") -> dt.datetime:
    """A local wall-clock time in ``tz`` as an aware UTC instant."""
    from zoneinfo import ZoneInfo

    return dt.datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(tz)).astimezone(UTC)


class World:
    """A district to remind in: regions, people and cases written straight to the tables."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ids = itertools.count(5001)
        self._refs = itertools.count(1)
        with db.write() as session:
            for code, level, kind, name, parent, tz in REGIONS:
                session.add(Region(code=code, level=level, kind=kind, name=name, parent_code=parent, timezone=tz))
                session.flush()

    def person(self, name: str, role: Role | str, region: str | None = DESA, *, language: str = "id", chat: bool = True,
               telegram_id: int | None = None, joined: dt.datetime | None = None) -> int:
        tid = telegram_id if telegram_id is not None else next(self._ids)
        with self.db.write() as session:
            person = Person(telegram_user_id=tid, telegram_chat_id=tid if chat else None, display_name=name, role=Role(role),
                            region_code=region, language=Language(language))
            if joined is not None:
                person.created_at = person.updated_at = joined
            session.add(person)
            session.flush()
            return person.id

    def case(self, child: str, status: str, since: dt.datetime, *, region: str = DESA, pendamping: int | None = None,
             events: list[tuple[str, dt.datetime]] | None = None) -> int:
        """A case in ``status`` since ``since`` (its last event), with ``pendamping`` assigned."""
        with self.db.write() as session:
            kid = Child(name=child, name_normalized=child.lower(), region_code=region)
            session.add(kid)
            session.flush()
            case = Case(reference=f"ATS-T-{next(self._refs):06d}", child_id=kid.id, status=status, region_code=region)
            session.add(case)
            session.flush()
            previous = None
            for to_status, when in [*(events or []), (status, since)]:
                session.add(CaseEvent(case_id=case.id, from_status=previous, to_status=to_status, at=when))
                previous = to_status
            if pendamping is not None:
                session.add(Assignment(case_id=case.id, pendamping_id=pendamping, active=True, valid_from=since))
            case_changed(session, case.id)
            return case.id

    def move(self, case_id: int, status: str, when: dt.datetime, event: str | None = None) -> None:
        with self.db.write() as session:
            case = session.get(Case, case_id)
            assert case is not None
            session.add(CaseEvent(case_id=case_id, from_status=case.status, to_status=status, at=when, event=event))
            case.status = status
            case_changed(session, case_id)

    def assign(self, case_id: int, pendamping: int, when: dt.datetime) -> None:
        with self.db.write() as session:
            for a in session.query(Assignment).filter_by(case_id=case_id, active=True):
                a.active, a.valid_to = False, when
            session.add(Assignment(case_id=case_id, pendamping_id=pendamping, active=True, valid_from=when))
            case = session.get(Case, case_id)
            assert case is not None
            session.add(CaseEvent(case_id=case_id, from_status=case.status, to_status=case.status, at=when, event="reassign"))
            case_changed(session, case_id)

    def visit(self, case_id: int, pendamping: int, day: dt.date) -> None:
        with self.db.write() as session:
            session.add(Visit(case_id=case_id, pendamping_id=pendamping, visit_date=day))
            case_changed(session, case_id)

    def log(self, case_id: int, person: int, instrument: str, when: dt.datetime) -> None:
        with self.db.write() as session:
            case = session.get(Case, case_id)
            assert case is not None
            session.add(Response(reference=f"ATS-R-{next(self._refs):06d}", instrument=instrument, instrument_version=1, answers={},
                                 case_id=case_id, submitted_by=person, submitted_at=when, region_code=case.region_code))
            case_changed(session, case_id)

    def set_unreachable(self, person_id: int, value: bool = True, when: dt.datetime | None = None) -> None:
        with self.db.write() as session:
            person = session.get(Person, person_id)
            assert person is not None
            person.unreachable = value
            if when is not None:
                person.updated_at = when


# -- a fake Telegram bot ----------------------------------------------------------------------------------------
@dataclass
class Sent:
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None
    clock: float

    @property
    def data(self) -> list[str]:
        if self.markup is None:
            return []
        return [b.callback_data for row in self.markup.inline_keyboard for b in row if isinstance(b.callback_data, str)]


@dataclass
class FakeBot:
    """Records sendMessage calls; ``blocked`` chats raise Forbidden, ``flood`` raises RetryAfter that many times."""

    clock: Callable[[], float] = lambda: 0.0
    blocked: set[int] = field(default_factory=set)
    flood: int = 0
    retry_after: int = 1
    sent: list[Sent] = field(default_factory=list)
    calls: int = 0

    async def send_message(self, chat_id: int, text: str, reply_markup: Any = None, **_: Any) -> Any:
        self.calls += 1
        if chat_id in self.blocked:
            raise Forbidden("Forbidden: bot was blocked by the user")
        if self.flood > 0:
            self.flood -= 1
            raise RetryAfter(dt.timedelta(seconds=self.retry_after))
        self.sent.append(Sent(chat_id, text, reply_markup, self.clock()))
        return SimpleNamespace(message_id=len(self.sent))  # the Message Telegram answers with

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

"""People: get-or-create by Telegram id, roles."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.errors import NotFoundError
from storage.models import Language, Person, Role
from storage.repositories.people import get_or_create_person, set_role
from tests.storage.conftest import DESA


def test_first_contact_creates_a_masyarakat(db: Database) -> None:
    person = get_or_create_person(db, 7_000_000_001, chat_id=42, display_name="Budi", language=Language.JV)
    assert person.id is not None
    assert (person.role, person.language, person.telegram_chat_id, person.display_name) == (
        Role.MASYARAKAT,
        Language.JV,
        42,
        "Budi",
    )
    assert person.created_at.tzinfo is not None


def test_second_contact_returns_the_same_person_and_refreshes_details(db: Database) -> None:
    first = get_or_create_person(db, 5, chat_id=1, display_name="Old", language=Language.EN)
    with db.write() as session:
        session.get(Person, first.id).unreachable = True  # type: ignore[union-attr]
    again = get_or_create_person(db, 5, chat_id=2, display_name="New", language=Language.ID)
    assert again.id == first.id
    assert (again.telegram_chat_id, again.display_name, again.unreachable) == (2, "New", False)
    assert again.language == Language.EN  # the person's own choice is kept
    same = get_or_create_person(db, 5)
    assert (same.telegram_chat_id, same.display_name) == (2, "New")


def test_concurrent_first_contacts_create_one_person(db: Database) -> None:
    with ThreadPoolExecutor(10) as pool:
        ids = set(pool.map(lambda _: get_or_create_person(db, 99, chat_id=99).id, range(20)))
    assert len(ids) == 1
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 1


def test_set_role(db: Database, regions: None) -> None:
    person = get_or_create_person(db, 6)
    updated = set_role(db, person.id, Role.PENDAMPING, DESA)
    assert (updated.role, updated.region_code) == (Role.PENDAMPING, DESA)
    with pytest.raises(NotFoundError):
        set_role(db, 12345, Role.ADMIN, None)

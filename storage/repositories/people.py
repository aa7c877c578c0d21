"""People: the first thing the bot needs for every incoming message is the sender's record."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.derived import pendamping_changed
from storage.errors import NotFoundError
from storage.models import Language, Person, Role
from storage.repositories.sql import insert_if_absent
from storage.types import utcnow


def get_or_create_person(
    db: Database,
    telegram_user_id: int,
    *,
    chat_id: int | None = None,
    display_name: str | None = None,
    language: Language | None = None,
) -> Person:
    """The person behind a Telegram account, created as ``masyarakat`` on first contact.

    Safe when two updates of a new user arrive at once (insert-if-absent). A changed chat id or name is
    refreshed; the stored language is only set on creation, since the person may have changed it since.
    """
    now = utcnow()
    with db.write() as session:
        insert_if_absent(
            session,
            Person,
            {
                "telegram_user_id": telegram_user_id,
                "telegram_chat_id": chat_id,
                "display_name": display_name or "",
                "role": Role.MASYARAKAT,
                "language": language or Language.ID,
                "unreachable": False,
                "created_at": now,
                "updated_at": now,
            },
            ["telegram_user_id"],
        )
        person = session.scalars(select(Person).where(Person.telegram_user_id == telegram_user_id)).one()
        if chat_id is not None and person.telegram_chat_id != chat_id:
            if person.unreachable:
                pendamping_changed(session, [person.id])
            person.telegram_chat_id = chat_id
            person.unreachable = False
        if display_name and person.display_name != display_name:
            person.display_name = display_name
        return person


def set_role(db: Database, person_id: int, role: Role, region_code: str | None) -> Person:
    """Give a person a role in a region (after an invitation is accepted or by an admin)."""
    with db.write() as session:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"person {person_id}")
        person.role, person.region_code = role, region_code
        return person

"""People using the bot, how they were invited, what they consented to and what they asked of us."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import DataRequestKind, DataRequestStatus, Language, Role
from storage.models.base import Base, Timestamps, str_enum
from storage.sealing import SealedText
from storage.types import utcnow


class Person(Timestamps, Base):
    """A Telegram account with its role and the region it works in."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.MASYARAKAT)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    language: Mapped[Language] = mapped_column(str_enum(Language, "language"), default=Language.ID)
    phone: Mapped[str | None] = mapped_column(SealedText())
    """Encrypted (storage.sealing)."""
    unreachable: Mapped[bool] = mapped_column(default=False)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    """For a school operator: their school; they see only its pupils (and the children who chose it)."""
    """Telegram refused delivery (blocked bot, deleted account): reminders go to a supervisor instead."""
    active_draft_id: Mapped[int | None] = mapped_column(ForeignKey("instrument_sessions.id", ondelete="SET NULL", use_alter=True))
    """The questionnaire the person is filling now: plain text messages answer its current question."""
    menu: Mapped[dict[str, Any] | None]
    """The person's live keyboard: its nonce, what its buttons mean, the message carrying it. Buttons of any
    other message are closed."""


class Invitation(Base):
    """A one-time invitation link; only the token's hash is kept so a database leak cannot be replayed."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"))
    """For a parent: the child the invitation is about."""
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    """For a school operator's invitation: the school they will work for."""


class Consent(Base):
    """A parent's consent (e.g. to data processing or to accompaniment) and its withdrawal."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class DataRequest(Timestamps, Base):
    """A request to correct or delete personal data, kept until someone handles it."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[DataRequestKind] = mapped_column(str_enum(DataRequestKind, "data_request_kind"))
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DataRequestStatus] = mapped_column(
        str_enum(DataRequestStatus, "data_request_status"), default=DataRequestStatus.OPEN
    )
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]


class ButtonToken(Base):
    """A button sent outside the person's live keyboard (a notice: "take this proposal", "record the visit").

    Its callback data is only the random token; what it does is kept here, bound to the one person it was
    sent to, so a forwarded, replayed or forged press does nothing.
    """

    __tablename__ = "button_tokens"

    token: Mapped[str] = mapped_column(String(24), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]

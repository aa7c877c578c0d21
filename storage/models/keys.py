"""Which data keys the database's ciphertexts were made with (the key ids only, never a secret)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


class DataKey(Base):
    """A key id in use, with a check value encrypted under it, so a wrong key is named at start-up, not later
    as an unreadable NIK. ``retired_at`` is set once a rotation has re-encrypted everything away from it."""

    __tablename__ = "data_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    check_value: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

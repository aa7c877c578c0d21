"""person conversation: the active draft and the live keyboard

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_draft_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("menu", storage.types.JSONType, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_people_active_draft_id_instrument_sessions"), "instrument_sessions", ["active_draft_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_people_active_draft_id_instrument_sessions"), type_="foreignkey")
        batch_op.drop_column("menu")
        batch_op.drop_column("active_draft_id")

"""identity conflicts: records sharing a NIK but not a name or sex, kept apart for the team to decide

Revision ID: 0007_identity_conflicts
Revises: 0007_targets
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007_identity_conflicts"
down_revision: str | None = "0007_targets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("existing_child_id", sa.Integer(), nullable=False),
        sa.Column("held_child_id", sa.Integer(), nullable=True),
        sa.Column("nik_hash", sa.String(length=64), nullable=False),
        sa.Column("nik_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["existing_child_id"], ["children.id"], name=op.f("fk_identity_conflicts_existing_child_id_children"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["held_child_id"], ["children.id"], name=op.f("fk_identity_conflicts_held_child_id_children"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_identity_conflicts_region_code_regions")),
        sa.ForeignKeyConstraint(["created_by"], ["people.id"], name=op.f("fk_identity_conflicts_created_by_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["people.id"], name=op.f("fk_identity_conflicts_decided_by_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_conflicts")),
    )
    for column in ("existing_child_id", "held_child_id", "region_code", "status"):
        op.create_index(op.f(f"ix_identity_conflicts_{column}"), "identity_conflicts", [column], unique=False)


def downgrade() -> None:
    for column in ("status", "region_code", "held_child_id", "existing_child_id"):
        op.drop_index(op.f(f"ix_identity_conflicts_{column}"), table_name="identity_conflicts")
    op.drop_table("identity_conflicts")

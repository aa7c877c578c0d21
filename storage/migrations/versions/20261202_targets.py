"""yearly targets per region in the database, seeded from REPORT_TARGETS_FILE

Revision ID: 0007_targets
Revises: 0006
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from reports.settings import get_report_settings
from reports.targets import read_targets_file, seed_rows
from storage.types import UTCDateTime

revision: str = "0007_targets"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "region_targets",
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("children >= 0", name=op.f("ck_region_targets_children_not_negative")),
        sa.ForeignKeyConstraint(["updated_by"], ["people.id"], name=op.f("fk_region_targets_updated_by_people"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("region_code", "year", name=op.f("pk_region_targets")),
    )
    now = datetime.now(UTC)
    rows = seed_rows(read_targets_file(get_report_settings().targets_path()))
    if rows:
        op.bulk_insert(table, [{**row, "updated_at": now} for row in rows])


def downgrade() -> None:
    op.drop_table("region_targets")

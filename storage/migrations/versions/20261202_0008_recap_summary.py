"""recap summary: each case's recap facts and the counts a recap sums (filled by 0012_recap_dimensions)

Revision ID: 0008_recap_summary
Revises: 0007_reminder_checks
Create Date: 2026-12-02 05:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_recap_summary"
down_revision: str | None = "0007_reminder_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recap_facts",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("kabupaten", sa.String(length=5), nullable=False),
        sa.Column("area", sa.String(length=13), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=1), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_month", sa.String(length=7), nullable=False),
        sa.Column("reasons", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_recap_facts_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_recap_facts")),
    )
    op.create_table(
        "recap_counts",
        sa.Column("grain", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=13), nullable=False),
        sa.Column("kabupaten", sa.String(length=5), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("dimension", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("grain", "scope", "region_code", "dimension", "key", "sex", name=op.f("pk_recap_counts")),
    )
    op.create_index("ix_recap_counts_kabupaten", "recap_counts", ["grain", "kabupaten", "dimension"], unique=False)
    # filled by 0012_recap_dimensions, once the summary has all its columns (the rebuild writes them all)


def downgrade() -> None:
    op.drop_index("ix_recap_counts_kabupaten", table_name="recap_counts")
    op.drop_table("recap_counts")
    op.drop_table("recap_facts")

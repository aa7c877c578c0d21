"""recap dimensions: back in school per year, quarterly monitoring, at risk and the kecamatan check in the summary

Adds the columns to ``recap_facts`` and recomputes the summary from the cases (set-based on PostgreSQL), so a
recap reads only the summary.

Revision ID: 0011_recap_dimensions
Revises: 0010_programme
Create Date: 2026-12-02 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_recap_dimensions"
down_revision: str | None = "0010_programme"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("returned", sa.String(length=4), ""), ("quarters", sa.Text(), ""), ("risk", sa.Text(), ""),
           ("risk_signals", sa.Integer(), "0"), ("stage", sa.String(length=10), ""))


def upgrade() -> None:
    with op.batch_alter_table("recap_facts") as batch:
        for name, kind, default in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    op.create_index("ix_recap_facts_risk", "recap_facts", ["kabupaten", "risk_signals"], unique=False,
                    postgresql_where=sa.text("risk_signals > 0"), sqlite_where=sa.text("risk_signals > 0"))
    from reports.summary import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_recap_facts_risk", table_name="recap_facts")
    with op.batch_alter_table("recap_facts") as batch:
        for name, _, _ in reversed(COLUMNS):
            batch.drop_column(name)

"""recap dimensions: back in school per year, quarterly monitoring, at risk and the kecamatan check in the summary

Adds the columns to ``recap_facts`` (and the case's reference, by which pupils at risk are listed), national
counters, covering and partial indexes, and recomputes the summary from the cases (set-based on PostgreSQL), so a
recap reads only the summary.

Revision ID: 0012_recap_dimensions
Revises: 0011_import_batches
Create Date: 2026-12-02 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_recap_dimensions"
down_revision: str | None = "0011_import_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("returned", sa.String(length=4), ""), ("quarters", sa.Text(), ""), ("risk", sa.Text(), ""),
           ("risk_signals", sa.Integer(), "0"), ("stage", sa.String(length=10), ""), ("reference", sa.String(length=40), ""))
RISK = sa.text("risk_signals > 0")


def upgrade() -> None:
    with op.batch_alter_table("recap_facts") as batch:
        for name, kind, default in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    op.create_index("ix_recap_facts_risk", "recap_facts", [sa.text("risk_signals DESC"), "reference"],
                    postgresql_where=RISK, sqlite_where=RISK)
    op.create_index("ix_recap_facts_kabupaten_risk", "recap_facts", ["kabupaten", sa.text("risk_signals DESC"), "reference"],
                    postgresql_where=RISK, sqlite_where=RISK)
    op.drop_index("ix_recap_counts_kabupaten", table_name="recap_counts")
    op.create_index("ix_recap_counts_kabupaten", "recap_counts", ["grain", "kabupaten", "dimension"],
                    postgresql_include=["key", "sex", "region_code", "n"])
    from reports.summary import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_recap_counts_kabupaten", table_name="recap_counts")
    op.create_index("ix_recap_counts_kabupaten", "recap_counts", ["grain", "kabupaten", "dimension"])
    op.execute("DELETE FROM recap_counts WHERE grain = 'nation'")
    op.drop_index("ix_recap_facts_kabupaten_risk", table_name="recap_facts")
    op.drop_index("ix_recap_facts_risk", table_name="recap_facts")
    with op.batch_alter_table("recap_facts") as batch:
        for name, _, _ in reversed(COLUMNS):
            batch.drop_column(name)

"""import visibility: the rows an import writes carry its batch, hidden until the batch is published

Adds a nullable ``import_batch_id`` (no foreign key: a COPY of 100,000 rows would check each one) to ``cases``,
``children`` and ``responses``. Rows written before are nobody's import: visible.

Revision ID: 0013_import_visibility
Revises: 0012_recap_dimensions
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_import_visibility"
down_revision: str | None = "0012_recap_dimensions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("cases", "children", "responses")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("import_batch_id")

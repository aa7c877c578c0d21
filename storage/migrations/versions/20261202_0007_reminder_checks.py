"""reminder checks: each case's next due reminder on an index; the duplicate reminders index goes

Revision ID: 0007_reminder_checks
Revises: 0008_web
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007_reminder_checks"
down_revision: str | None = "0008_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPECTING_A_LOG = ("accompanied", "willing", "undecided", "not_willing", "school_chosen", "back_in_school", "monitored")


def upgrade() -> None:
    op.create_table(
        "case_reminder_due",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_reminder_due_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_reminder_due")),
    )
    op.create_index("ix_case_reminder_due_due_at", "case_reminder_due", ["due_at", "case_id"], unique=False)
    # Every case expecting a log is looked at by the next pass, which then writes its real next check.
    statuses = ", ".join(f"'{s}'" for s in EXPECTING_A_LOG)
    op.execute(
        "INSERT INTO case_reminder_due (case_id, due_at, updated_at) "
        f"SELECT id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM cases WHERE status IN ({statuses})"
    )
    # ix_reminders_open_due (partial: pending and snoozed, by due_at, id) serves the sweep; this one duplicated it.
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_state_due")


def downgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index("ix_reminders_state_due", ["state", "due_at"], unique=False)
    op.drop_index("ix_case_reminder_due_due_at", table_name="case_reminder_due")
    op.drop_table("case_reminder_due")

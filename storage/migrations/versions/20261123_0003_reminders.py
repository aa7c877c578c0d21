"""reminders: opaque button token, the recipient's time zone, whom a notice is about, message detail, snoozes, the
sweep's partial index of rows still to send

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


def _period_index() -> None:
    # Expression index (autogenerate cannot compare it): one reminder per (kind, case, recipient, period).
    op.create_index(
        "uq_reminders_period",
        "reminders",
        ["kind", sa.text("coalesce(case_id, 0)"), "person_id", "period"],
        unique=True,
    )


def upgrade() -> None:
    # SQLite rebuilds the table for the new constraints and cannot reflect the expression index: drop it around
    # the rebuild and create it again.
    op.drop_index("uq_reminders_period", table_name="reminders")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=24), nullable=True))
        batch_op.add_column(
            sa.Column(
                "timezone",
                sa.Enum(*TIME_ZONES, name="time_zone", native_enum=False, create_constraint=True),
                server_default="Asia/Jakarta",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("subject_person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("detail", storage.types.JSONType, nullable=True))
        batch_op.add_column(sa.Column("snoozes", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_reminders_token"), ["token"])
        batch_op.create_index(batch_op.f("ix_reminders_case_id"), ["case_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_reminders_subject_person_id_people"), "people", ["subject_person_id"], ["id"], ondelete="SET NULL"
        )
    _period_index()
    # The sweep's queue: only the rows still to send, in due order.
    op.create_index(
        "ix_reminders_open_due",
        "reminders",
        ["due_at", "id"],
        unique=False,
        postgresql_where=sa.text("state IN ('pending', 'snoozed')"),
        sqlite_where=sa.text("state IN ('pending', 'snoozed')"),
    )


def downgrade() -> None:
    op.drop_index("ix_reminders_open_due", table_name="reminders")
    op.drop_index("uq_reminders_period", table_name="reminders")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reminders_subject_person_id_people"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_reminders_case_id"))
        batch_op.drop_constraint(batch_op.f("uq_reminders_token"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_reminders_time_zone"), type_="check")
        batch_op.drop_column("snoozes")
        batch_op.drop_column("detail")
        batch_op.drop_column("subject_person_id")
        batch_op.drop_column("timezone")
        batch_op.drop_column("token")
    _period_index()

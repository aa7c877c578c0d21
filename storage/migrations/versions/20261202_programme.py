"""referrals to agencies, assistance to returned children, and their history in the case

Revision ID: 0010_programme
Revises: 0009_encryption
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0010_programme"
down_revision: str | None = "0009_encryption"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("created_at", UTCDateTime(), nullable=False), sa.Column("updated_at", UTCDateTime(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("referred_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_referrals_visit_id_visits")),
        sa.ForeignKeyConstraint(["referred_by"], ["people.id"], name=op.f("fk_referrals_referred_by_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_case_id"), "referrals", ["case_id"], unique=False)
    op.create_index(op.f("ix_referrals_referred_by"), "referrals", ["referred_by"], unique=False)
    op.create_index("ix_referrals_status_due", "referrals", ["status", "due_date"], unique=False)
    op.create_table(
        "assistance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("disbursed_at", UTCDateTime(), nullable=True),
        sa.Column("report_note", sa.Text(), nullable=True),
        sa.Column("receipt_file_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", UTCDateTime(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_assistance_case_id_cases")),
        sa.ForeignKeyConstraint(["proposed_by"], ["people.id"], name=op.f("fk_assistance_proposed_by_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["verified_by"], ["people.id"], name=op.f("fk_assistance_verified_by_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["people.id"], name=op.f("fk_assistance_decided_by_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["receipt_file_id"], ["stored_files.id"], name=op.f("fk_assistance_receipt_file_id_stored_files"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance")),
    )
    op.create_index(op.f("ix_assistance_case_id"), "assistance", ["case_id"], unique=False)
    op.create_index("ix_assistance_case_programme", "assistance", ["case_id", "programme"], unique=False)
    op.create_table(
        "programme_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_programme_events_case_id_cases")),
        sa.ForeignKeyConstraint(["actor_id"], ["people.id"], name=op.f("fk_programme_events_actor_id_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_events")),
    )
    op.create_index(op.f("ix_programme_events_case_id"), "programme_events", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_programme_events_case_id"), table_name="programme_events")
    op.drop_table("programme_events")
    op.drop_index("ix_assistance_case_programme", table_name="assistance")
    op.drop_index(op.f("ix_assistance_case_id"), table_name="assistance")
    op.drop_table("assistance")
    op.drop_index("ix_referrals_status_due", table_name="referrals")
    op.drop_index(op.f("ix_referrals_referred_by"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_case_id"), table_name="referrals")
    op.drop_table("referrals")

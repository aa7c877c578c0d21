"""cases: who proposed and took a case, the event and form behind each move, proposals, school choices, enrolments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("taken_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_proposed_by"), ["proposed_by"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_cases_proposed_by_people"), "people", ["proposed_by"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_cases_taken_by_people"), "people", ["taken_by"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_cases_duplicate_of_cases"), "cases", ["duplicate_of"], ["id"])

    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("response_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_case_events_response_id_responses"), "responses", ["response_id"], ["id"])

    op.create_table(
        "case_proposals",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("approx_age", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("photo_file_id", sa.String(length=200), nullable=True),
        sa.Column("location", storage.types.JSONType, nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_proposals_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_proposals")),
    )

    op.create_table(
        "school_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("pathway", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("npsn", sa.String(length=8), nullable=True),
        sa.Column("school_name", sa.String(length=200), nullable=False),
        sa.Column("class_level", sa.String(length=60), nullable=True),
        sa.Column("chosen_by", sa.Integer(), nullable=True),
        sa.Column("chosen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_school_choices_case_id_cases")),
        sa.ForeignKeyConstraint(["chosen_by"], ["people.id"], name=op.f("fk_school_choices_chosen_by_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], name=op.f("fk_school_choices_response_id_responses")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_school_choices_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_choices")),
    )
    with op.batch_alter_table("school_choices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_choices_case_id"), ["case_id"], unique=False)

    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("class_level", sa.String(length=60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_enrolments_case_id_cases")),
        sa.ForeignKeyConstraint(["recorded_by"], ["people.id"], name=op.f("fk_enrolments_recorded_by_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_enrolments_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index("ix_enrolments_case_active", ["case_id", "active"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrolments_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolments_school_id"))
        batch_op.drop_index("ix_enrolments_case_active")
    op.drop_table("enrolments")

    with op.batch_alter_table("school_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_choices_case_id"))
    op.drop_table("school_choices")

    op.drop_table("case_proposals")

    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_case_events_response_id_responses"), type_="foreignkey")
        batch_op.drop_column("response_id")
        batch_op.drop_column("event")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_duplicate_of_cases"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_cases_taken_by_people"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_cases_proposed_by_people"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_proposed_by"))
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("taken_by")
        batch_op.drop_column("proposed_by")

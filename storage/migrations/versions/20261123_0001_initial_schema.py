"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:32:51.546722
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('processed_updates',
    sa.Column('bot_id', sa.BigInteger(), nullable=False),
    sa.Column('update_id', sa.BigInteger(), nullable=False),
    sa.Column('processed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('bot_id', 'update_id', name=op.f('pk_processed_updates'))
    )
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_updates_processed_at'), ['processed_at'], unique=False)

    op.create_table('reference_counters',
    sa.Column('kabupaten_code', sa.String(length=5), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kabupaten_code', name=op.f('pk_reference_counters'))
    )
    op.create_table('regions',
    sa.Column('code', sa.String(length=13), nullable=False),
    sa.Column('level', sa.Enum('kabupaten', 'kecamatan', 'desa', name='region_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('parent_code', sa.String(length=13), nullable=True),
    sa.Column('timezone', sa.Enum('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura', name='time_zone', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regions_parent_code'), ['parent_code'], unique=False)

    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('telegram_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('admin', 'tim_kabupaten', 'tim_kecamatan', 'tim_desa', 'pendata', 'pendamping', 'operator_sekolah', 'orang_tua', 'masyarakat', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=True),
    sa.Column('language', sa.Enum('id', 'en', 'jv', name='language', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('unreachable', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_people_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('telegram_user_id', name=op.f('uq_people_telegram_user_id'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_region_code'), ['region_code'], unique=False)

    op.create_table('schools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('npsn', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Enum('SD', 'MI', 'SMP', 'MTs', 'SMA', 'SMK', 'MA', 'SLB', 'PKBM', name='school_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('negeri', 'swasta', name='school_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('region_code', sa.String(length=13), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_schools_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
    sa.UniqueConstraint('npsn', name=op.f('uq_schools_npsn'))
    )
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schools_region_code'), ['region_code'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_audit_log_actor_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('data_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('correction', 'deletion', name='data_request_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'rejected', name='data_request_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('handled_by', sa.Integer(), nullable=True),
    sa.Column('handled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['handled_by'], ['people.id'], name=op.f('fk_data_requests_handled_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_data_requests_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests'))
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_person_id'), ['person_id'], unique=False)

    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kk_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('kk_hash', sa.String(length=64), nullable=True),
    sa.Column('head_name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('rt', sa.String(length=3), nullable=True),
    sa.Column('rw', sa.String(length=3), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_households_created_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_households_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_kk_hash'), ['kk_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_region_code'), ['region_code'], unique=False)

    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_file_id', sa.String(length=200), nullable=False),
    sa.Column('telegram_unique_id', sa.String(length=100), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mime', sa.String(length=100), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], name=op.f('fk_stored_files_owner_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('telegram_unique_id', name=op.f('uq_stored_files_telegram_unique_id'))
    )
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_files_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_files_sha256'), ['sha256'], unique=False)

    op.create_table('children',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_normalized', sa.String(length=200), nullable=False),
    sa.Column('nik_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('nik_hash', sa.String(length=64), nullable=True),
    sa.Column('nisn', sa.String(length=10), nullable=True),
    sa.Column('sex', sa.Enum('L', 'P', name='sex', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('birth_place', sa.String(length=100), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('rt', sa.String(length=3), nullable=True),
    sa.Column('rw', sa.String(length=3), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_children_created_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_children_household_id_households')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_children_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_children'))
    )
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_children_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_children_identity', ['name_normalized', 'birth_date', 'region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_children_nik_hash'), ['nik_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_children_nisn'), ['nisn'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_cases_child_id_children')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_cases_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_child_id'), ['child_id'], unique=False)
        batch_op.create_index('ix_cases_region_status', ['region_code', 'status'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('given_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_consents_child_id_children')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_consents_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_person_id'), ['person_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('pendamping_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('valid_from', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_to', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by'], ['people.id'], name=op.f('fk_assignments_assigned_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_assignments_case_id_cases')),
    sa.ForeignKeyConstraint(['pendamping_id'], ['people.id'], name=op.f('fk_assignments_pendamping_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_case_active', ['case_id', 'active'], unique=False)
        batch_op.create_index('ix_assignments_pendamping_active', ['pendamping_id', 'active'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=40), nullable=True),
    sa.Column('to_status', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_case_events_actor_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('instrument_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.String(length=60), nullable=False),
    sa.Column('instrument_version', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('current_question', sa.String(length=40), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('draft', 'submitted', 'cancelled', name='draft_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_instrument_sessions_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_instrument_sessions_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_sessions'))
    )
    with op.batch_alter_table('instrument_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_sessions_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_instrument_sessions_person_status', ['person_id', 'status'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.Enum('admin', 'tim_kabupaten', 'tim_kecamatan', 'tim_desa', 'pendata', 'pendamping', 'operator_sekolah', 'orang_tua', 'masyarakat', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.Integer(), nullable=True),
    sa.Column('child_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_invitations_case_id_cases')),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_invitations_child_id_children')),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_invitations_created_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_invitations_region_code_regions')),
    sa.ForeignKeyConstraint(['used_by'], ['people.id'], name=op.f('fk_invitations_used_by_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=True),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('due_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('pending', 'claimed', 'sent', 'snoozed', 'cancelled', 'failed', name='reminder_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_reminders_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_reminders_person_id_people')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_reminders_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_reminders_state_due', ['state', 'due_at'], unique=False)
    # Expression index (autogenerate cannot compare it): one reminder per (kind, case, recipient, period).
    op.create_index(
        'uq_reminders_period',
        'reminders',
        ['kind', sa.text('coalesce(case_id, 0)'), 'person_id', 'period'],
        unique=True,
    )

    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('instrument', sa.String(length=60), nullable=False),
    sa.Column('instrument_version', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('child_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by', sa.Integer(), nullable=False),
    sa.Column('submitted_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('location', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_responses_case_id_cases')),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_responses_child_id_children')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_responses_region_code_regions')),
    sa.ForeignKeyConstraint(['session_id'], ['instrument_sessions.id'], name=op.f('fk_responses_session_id_instrument_sessions')),
    sa.ForeignKeyConstraint(['submitted_by'], ['people.id'], name=op.f('fk_responses_submitted_by_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('reference', name=op.f('uq_responses_reference')),
    sa.UniqueConstraint('session_id', name=op.f('uq_responses_session_id'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_child_id'), ['child_id'], unique=False)
        batch_op.create_index('ix_responses_instrument', ['instrument', 'instrument_version'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_submitted_by'), ['submitted_by'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('pendamping_id', sa.Integer(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_visits_case_id_cases')),
    sa.ForeignKeyConstraint(['pendamping_id'], ['people.id'], name=op.f('fk_visits_pendamping_id_people')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_visits_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_pendamping_id'), ['pendamping_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_pendamping_id'))
        batch_op.drop_index(batch_op.f('ix_visits_case_id'))

    op.drop_table('visits')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_submitted_by'))
        batch_op.drop_index(batch_op.f('ix_responses_region_code'))
        batch_op.drop_index('ix_responses_instrument')
        batch_op.drop_index(batch_op.f('ix_responses_child_id'))
        batch_op.drop_index(batch_op.f('ix_responses_case_id'))

    op.drop_table('responses')
    op.drop_index('uq_reminders_period', table_name='reminders')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_state_due')
        batch_op.drop_index(batch_op.f('ix_reminders_person_id'))

    op.drop_table('reminders')
    op.drop_table('invitations')
    with op.batch_alter_table('instrument_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_instrument_sessions_person_status')
        batch_op.drop_index(batch_op.f('ix_instrument_sessions_case_id'))

    op.drop_table('instrument_sessions')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_pendamping_active')
        batch_op.drop_index('ix_assignments_case_active')

    op.drop_table('assignments')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_person_id'))
        batch_op.drop_index(batch_op.f('ix_consents_child_id'))

    op.drop_table('consents')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_region_status')
        batch_op.drop_index(batch_op.f('ix_cases_child_id'))

    op.drop_table('cases')
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_children_nisn'))
        batch_op.drop_index(batch_op.f('ix_children_nik_hash'))
        batch_op.drop_index('ix_children_identity')
        batch_op.drop_index(batch_op.f('ix_children_household_id'))

    op.drop_table('children')
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_files_sha256'))
        batch_op.drop_index(batch_op.f('ix_stored_files_owner_id'))

    op.drop_table('stored_files')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_region_code'))
        batch_op.drop_index(batch_op.f('ix_households_kk_hash'))

    op.drop_table('households')
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_person_id'))

    op.drop_table('data_requests')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_subject')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schools_region_code'))

    op.drop_table('schools')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_region_code'))

    op.drop_table('people')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_parent_code'))

    op.drop_table('regions')
    op.drop_table('reference_counters')
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_updates_processed_at'))

    op.drop_table('processed_updates')

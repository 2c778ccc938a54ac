"""inquiries between agencies: types, a card's inquiries, each request's inquiries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table(
        'inquiry_type',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('subject', sa.String(length=20), nullable=False),
        sa.Column('answer_fields', JSON, nullable=False),
        sa.Column('due_minutes', sa.Integer(), nullable=False),
        sa.Column('replaces', JSON, nullable=False),
        sa.Column('legal_basis', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("subject IN ('national_code', 'vehicle_plate', 'company_id', 'postal_code', "
                           "'deed_number')", name=op.f('ck_inquiry_type_subject')),
        sa.CheckConstraint('due_minutes >= 0', name=op.f('ck_inquiry_type_due_minutes_not_negative')),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_inquiry_type_agency_id_agency')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_type')),
        sa.UniqueConstraint('code', name=op.f('uq_inquiry_type_code')),
    )
    op.create_index(op.f('ix_inquiry_type_agency_id'), 'inquiry_type', ['agency_id'])
    op.create_table(
        'service_inquiry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('inquiry_type_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('after_id', sa.Integer(), nullable=True),
        sa.Column('on_not_found', sa.String(length=10), nullable=False),
        sa.Column('replaces', JSON, nullable=False),
        sa.CheckConstraint("on_not_found IN ('continue', 'stop')", name=op.f('ck_service_inquiry_on_not_found')),
        sa.CheckConstraint('position >= 0', name=op.f('ck_service_inquiry_position_not_negative')),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_inquiry_service_id_service'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['inquiry_type_id'], ['inquiry_type.id'],
                                name=op.f('fk_service_inquiry_inquiry_type_id_inquiry_type')),
        sa.ForeignKeyConstraint(['after_id'], ['service_inquiry.id'],
                                name=op.f('fk_service_inquiry_after_id_service_inquiry')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_inquiry')),
        sa.UniqueConstraint('service_id', 'inquiry_type_id', name=op.f('uq_service_inquiry_service_id')),
    )
    op.create_index(op.f('ix_service_inquiry_service_id'), 'service_inquiry', ['service_id'])
    op.create_index(op.f('ix_service_inquiry_inquiry_type_id'), 'service_inquiry', ['inquiry_type_id'])
    op.create_table(
        'inquiry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('inquiry_type_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('after_id', sa.Integer(), nullable=True),
        sa.Column('on_not_found', sa.String(length=10), nullable=False),
        sa.Column('subject_value', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('answer', JSON, nullable=False),
        sa.Column('simulated', sa.Boolean(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'running', 'answered', 'not_found', 'failed', 'stopped')",
                           name=op.f('ck_inquiry_state')),
        sa.CheckConstraint("on_not_found IN ('continue', 'stop')", name=op.f('ck_inquiry_on_not_found')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_inquiry_attempts_not_negative')),
        sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_inquiry_request_id_request'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['inquiry_type_id'], ['inquiry_type.id'],
                                name=op.f('fk_inquiry_inquiry_type_id_inquiry_type')),
        sa.ForeignKeyConstraint(['after_id'], ['inquiry.id'], name=op.f('fk_inquiry_after_id_inquiry')),
        sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_inquiry_job_id_job'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['added_by_id'], ['user.id'], name=op.f('fk_inquiry_added_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry')),
    )
    op.create_index('ix_inquiry_request_position', 'inquiry', ['request_id', 'position'])
    op.create_index(op.f('ix_inquiry_inquiry_type_id'), 'inquiry', ['inquiry_type_id'])
    op.create_index(op.f('ix_inquiry_after_id'), 'inquiry', ['after_id'])
    op.create_index(op.f('ix_inquiry_job_id'), 'inquiry', ['job_id'])


def downgrade():
    op.drop_table('inquiry')
    op.drop_table('service_inquiry')
    op.drop_table('inquiry_type')

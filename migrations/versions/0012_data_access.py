"""who looked at my data: the data-access log

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_access',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('national_code', sa.String(length=10), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('office_id', sa.Integer(), nullable=True),
        sa.Column('official_id', sa.Integer(), nullable=True),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('tracking_code', sa.String(length=12), nullable=False),
        sa.Column('purpose', sa.String(length=40), nullable=False),
        sa.Column('legal_basis', sa.String(length=200), nullable=False),
        sa.Column('data_kind', sa.String(length=20), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('hidden_until', sa.DateTime(), nullable=True),
        sa.Column('hidden_reason', sa.Text(), nullable=False),
        sa.Column('hidden_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "data_kind IN ('request', 'attachment', 'identity', 'inquiry', 'registry')",
            name=op.f('ck_data_access_data_kind'),
        ),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_data_access_agency_id_agency')),
        sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_data_access_office_id_office')),
        sa.ForeignKeyConstraint(['official_id'], ['user.id'], name=op.f('fk_data_access_official_id_user')),
        sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_data_access_request_id_request')),
        sa.ForeignKeyConstraint(['hidden_by_id'], ['user.id'], name=op.f('fk_data_access_hidden_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_access')),
        sa.UniqueConstraint('hash', name=op.f('uq_data_access_hash')),
    )
    op.create_index('ix_data_access_citizen', 'data_access', ['national_code', 'id'])
    op.create_index('ix_data_access_citizen_agency', 'data_access', ['national_code', 'agency_id', 'id'])
    op.create_index('ix_data_access_citizen_office', 'data_access', ['national_code', 'office_id', 'id'])
    op.create_index(
        'ix_data_access_hidden',
        'data_access',
        ['national_code', 'hidden_until'],
        postgresql_where=sa.text('hidden_until IS NOT NULL'),
        sqlite_where=sa.text('hidden_until IS NOT NULL'),
    )


def downgrade():
    op.drop_index('ix_data_access_hidden', table_name='data_access')
    op.drop_index('ix_data_access_citizen_office', table_name='data_access')
    op.drop_index('ix_data_access_citizen_agency', table_name='data_access')
    op.drop_index('ix_data_access_citizen', table_name='data_access')
    op.drop_table('data_access')

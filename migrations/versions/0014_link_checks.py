"""link checks: each card's deep links and each agency's portal address, checked daily, with their history

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_checked_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'ok', 'caution', 'broken')", name=op.f('ck_link_state')),
        sa.CheckConstraint('failures >= 0', name=op.f('ck_link_failures_not_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link')),
        sa.UniqueConstraint('url', name=op.f('uq_link_url')),
    )
    op.create_index(op.f('ix_link_host'), 'link', ['host'])
    op.create_index(op.f('ix_link_state'), 'link', ['state'])
    op.create_table(
        'link_reference',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['link_id'], ['link.id'], name=op.f('fk_link_reference_link_id_link'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_link_reference_agency_id_agency')),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_link_reference_service_id_service'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_reference')),
    )
    op.create_index('ix_link_reference_link_id_agency_id', 'link_reference', ['link_id', 'agency_id'])
    op.create_index(op.f('ix_link_reference_agency_id'), 'link_reference', ['agency_id'])
    op.create_index(op.f('ix_link_reference_service_id'), 'link_reference', ['service_id'])
    op.create_table(
        'link_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('checked_at', sa.DateTime(), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('final_url', sa.String(length=500), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('result', sa.String(length=10), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.CheckConstraint("result IN ('ok', 'caution', 'failure')", name=op.f('ck_link_check_result')),
        sa.CheckConstraint("state IN ('pending', 'ok', 'caution', 'broken')", name=op.f('ck_link_check_state')),
        sa.ForeignKeyConstraint(['link_id'], ['link.id'], name=op.f('fk_link_check_link_id_link'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_check')),
    )
    op.create_index('ix_link_check_link_id_checked_at', 'link_check', ['link_id', 'checked_at'])
    op.create_table(
        'link_host',
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('busy_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('host', name=op.f('pk_link_host')),
    )


def downgrade():
    op.drop_table('link_host')
    op.drop_index('ix_link_check_link_id_checked_at', table_name='link_check')
    op.drop_table('link_check')
    op.drop_index(op.f('ix_link_reference_service_id'), table_name='link_reference')
    op.drop_index(op.f('ix_link_reference_agency_id'), table_name='link_reference')
    op.drop_index('ix_link_reference_link_id_agency_id', table_name='link_reference')
    op.drop_table('link_reference')
    op.drop_index(op.f('ix_link_state'), table_name='link')
    op.drop_index(op.f('ix_link_host'), table_name='link')
    op.drop_table('link')

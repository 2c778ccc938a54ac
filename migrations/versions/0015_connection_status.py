"""agency connection status history, deadlines and the weekly reports

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agency') as batch:
        batch.add_column(sa.Column('connection_deadline', sa.Date(), nullable=True))
    op.create_table(
        'agency_connection_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=16), nullable=True),
        sa.Column('to_status', sa.String(length=16), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.CheckConstraint("to_status IN ('connected', 'redirect', 'not_connected')",
                           name=op.f('ck_agency_connection_change_to_status')),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_connection_change_agency_id_agency'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'],
                                name=op.f('fk_agency_connection_change_changed_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_connection_change')),
    )
    op.create_index('ix_agency_connection_change_agency_id_changed_at', 'agency_connection_change',
                    ['agency_id', 'changed_at'])
    op.create_index('ix_agency_connection_change_changed_at', 'agency_connection_change', ['changed_at'])
    op.create_table(
        'weekly_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('week_key', sa.String(length=10), nullable=False),
        sa.Column('period_start', sa.DateTime(), nullable=False),
        sa.Column('period_end', sa.DateTime(), nullable=False),
        sa.Column('generated_at', sa.DateTime(), nullable=False),
        sa.Column('figures', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_report')),
        sa.UniqueConstraint('week_key', name=op.f('uq_weekly_report_week_key')),
    )


def downgrade():
    op.drop_table('weekly_report')
    op.drop_index('ix_agency_connection_change_changed_at', table_name='agency_connection_change')
    op.drop_index('ix_agency_connection_change_agency_id_changed_at', table_name='agency_connection_change')
    op.drop_table('agency_connection_change')
    with op.batch_alter_table('agency') as batch:
        batch.drop_column('connection_deadline')

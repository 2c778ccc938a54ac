"""counter day ledger: one closing row per office and day

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'day_close',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('expected_cash_rial', sa.BigInteger(), nullable=False),
        sa.Column('counted_cash_rial', sa.BigInteger(), nullable=False),
        sa.Column('difference_rial', sa.BigInteger(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('totals', sa.JSON(), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_day_close_office_id_office')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_day_close_closed_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_day_close')),
        # One close per office and day: a second manager closing at the same moment fails here.
        sa.UniqueConstraint('office_id', 'day', name=op.f('uq_day_close_office_id')),
    )


def downgrade():
    op.drop_table('day_close')

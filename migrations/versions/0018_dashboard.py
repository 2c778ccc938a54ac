"""dashboard figure snapshots

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table(
        'dashboard_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('figures', JSON, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_snapshot')),
        sa.UniqueConstraint('scope', name=op.f('uq_dashboard_snapshot_scope')),
    )


def downgrade():
    op.drop_table('dashboard_snapshot')

"""security: the mobile-ownership registry of the simulator, session versions, request versions, sign-in throttle

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mobile_ownership',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('national_code', sa.String(length=10), nullable=False),
        sa.Column('mobile', sa.String(length=11), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mobile_ownership')),
        sa.UniqueConstraint('national_code', 'mobile', name=op.f('uq_mobile_ownership_national_code')),
    )
    op.create_table(
        'sign_in_throttle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(), nullable=True),
        sa.Column('blocked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttle')),
        sa.UniqueConstraint('key', name=op.f('uq_sign_in_throttle_key')),
    )
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('request') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('request') as batch:
        batch.drop_column('version')
    with op.batch_alter_table('user') as batch:
        batch.drop_column('session_version')
    op.drop_table('sign_in_throttle')
    op.drop_table('mobile_ownership')

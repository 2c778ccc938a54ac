"""counter visit consent: who verified a consent code and where (otp_challenge.office_id, clerk_id, verified_at), and
when the consent a request used was given (request.consent_at)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL. Nothing points at otp_challenge,
so SQLite's rebuild of it for the foreign keys is safe; request only gains a column (no rebuild).
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('otp_challenge') as batch:
        batch.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('clerk_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('verified_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key(op.f('fk_otp_challenge_office_id_office'), 'office', ['office_id'], ['id'])
        batch.create_foreign_key(op.f('fk_otp_challenge_clerk_id_user'), 'user', ['clerk_id'], ['id'])
    with op.batch_alter_table('request') as batch:
        batch.add_column(sa.Column('consent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('request') as batch:
        batch.drop_column('consent_at')
    with op.batch_alter_table('otp_challenge') as batch:
        batch.drop_constraint(op.f('fk_otp_challenge_clerk_id_user'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_otp_challenge_office_id_office'), type_='foreignkey')
        batch.drop_column('verified_at')
        batch.drop_column('clerk_id')
        batch.drop_column('office_id')

"""jobs: the outbox of background work (job) and the workers' heartbeats (worker_heartbeat), the job of each SMS

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL. The allowed states are written
out here, not imported from the model (a migration is a frozen record of the schema at this revision).
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('ref', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_try_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'done', 'failed')", name=op.f('ck_job_state')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_job_attempts_not_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    )
    op.create_index('ix_job_state_next_try_at', 'job', ['state', 'next_try_at'])
    op.create_index('ix_job_kind_state', 'job', ['kind', 'state'])
    op.create_table(
        'worker_heartbeat',
        sa.Column('worker', sa.String(length=120), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('beat_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('worker', name=op.f('pk_worker_heartbeat')),
    )
    op.create_index(op.f('ix_worker_heartbeat_beat_at'), 'worker_heartbeat', ['beat_at'])
    # Each SMS points at the job that sends it (nothing points at sms_message, so SQLite's rebuild is safe).
    with op.batch_alter_table('sms_message') as batch:
        batch.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_sms_message_job_id_job'), 'job', ['job_id'], ['id'])
        batch.create_index(op.f('ix_sms_message_job_id'), ['job_id'])


def downgrade():
    with op.batch_alter_table('sms_message') as batch:
        batch.drop_index(op.f('ix_sms_message_job_id'))
        batch.drop_constraint(op.f('fk_sms_message_job_id_job'), type_='foreignkey')
        batch.drop_column('job_id')
    op.drop_index(op.f('ix_worker_heartbeat_beat_at'), table_name='worker_heartbeat')
    op.drop_table('worker_heartbeat')
    op.drop_index('ix_job_kind_state', table_name='job')
    op.drop_index('ix_job_state_next_try_at', table_name='job')
    op.drop_table('job')

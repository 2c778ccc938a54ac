"""agency desk: request assignment (request.assignee_id), the SLA clock's pause (request.clock_paused_at), and the
indexes of the desk's tabs and overdue view

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL. The request table only gains
columns (no SQLite rebuild, which would cascade-delete its events); the SQLite downgrade rebuilds it with foreign keys off.
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, the foreign key inline: on SQLite a batch rebuild of request would drop the old table, and
    # with foreign keys on that deletes every event, attachment and payment (ON DELETE CASCADE) of an upgraded
    # database.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE request ADD COLUMN assignee_id INTEGER '
                   'CONSTRAINT fk_request_assignee_id_user REFERENCES "user" (id)')
    else:
        op.add_column('request', sa.Column('assignee_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_request_assignee_id_user'), 'request', 'user', ['assignee_id'], ['id'])
    op.add_column('request', sa.Column('clock_paused_at', sa.DateTime(), nullable=True))
    op.create_index('ix_request_agency_status_due', 'request', ['agency_id', 'status', 'due_at', 'id'])
    op.create_index('ix_request_agency_assignee', 'request', ['agency_id', 'assignee_id', 'submitted_at', 'id'])
    open_statuses = sa.text("status IN ('submitted', 'in_review', 'needs_info', 'resubmitted')")
    op.create_index('ix_request_desk_overdue', 'request', ['agency_id', 'due_at', 'id'],
                    postgresql_where=open_statuses, sqlite_where=open_statuses)


def downgrade():
    op.drop_index('ix_request_desk_overdue', table_name='request')
    op.drop_index('ix_request_agency_assignee', table_name='request')
    op.drop_index('ix_request_agency_status_due', table_name='request')
    if op.get_bind().dialect.name == 'sqlite':
        # The column carries its foreign key, so SQLite must rebuild request: with foreign keys off while it does,
        # or dropping the old table would cascade-delete the events, attachments and payments.
        op.execute('PRAGMA foreign_keys=OFF')
        with op.batch_alter_table('request') as batch:
            batch.drop_column('clock_paused_at')
            batch.drop_column('assignee_id')
        op.execute('PRAGMA foreign_keys=ON')
    else:
        op.drop_constraint(op.f('fk_request_assignee_id_user'), 'request', type_='foreignkey')
        op.drop_column('request', 'clock_paused_at')
        op.drop_column('request', 'assignee_id')

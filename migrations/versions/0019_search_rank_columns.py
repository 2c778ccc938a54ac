"""search: on PostgreSQL, each index entry carries its card's yearly volume and code

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04

A ranked search orders its matches by yearly volume, then code. With both on service_search the ranked statements
read no service row: the planner settings a search runs with (no index scans) made every ranked statement hash all
of the service table to join it (about 2.5 ms at 10,000 cards, 15 ms at 100,000). SQLite's FTS5 index joins service
by rowid, which costs nothing like it: nothing changes there.
"""
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE service_search ADD COLUMN yearly_volume BIGINT NOT NULL DEFAULT 0,"
               " ADD COLUMN code VARCHAR(20) NOT NULL DEFAULT ''")
    op.execute("UPDATE service_search SET yearly_volume = s.yearly_volume, code = s.code"
               " FROM service s WHERE s.id = service_search.service_id")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE service_search DROP COLUMN yearly_volume, DROP COLUMN code")

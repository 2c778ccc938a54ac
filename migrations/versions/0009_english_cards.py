"""english cards: an optional English title, summary and keywords on each card revision, the title on the service

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Written by hand; the same file runs on SQLite and PostgreSQL. Existing rows get empty English (server defaults),
which English pages show as the Persian marked lang="fa". The search index's format is now 2 (English terms and
their stems): recorded here on a database without cards; one with cards is rebuilt by `flask seed-demo --if-empty`
(as bin/serve runs it) or `flask catalogue reindex`.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN, never a batch rebuild: rebuilding service_revision with foreign keys on
    # fails (or, on service, would cascade deletes). Constant defaults only, which SQLite can add in place; the
    # literal '[]' becomes jsonb on PostgreSQL.
    op.add_column('service', sa.Column('title_en', sa.String(length=300), nullable=False, server_default=''))
    op.add_column('service_revision', sa.Column('title_en', sa.String(length=300), nullable=False, server_default=''))
    op.add_column('service_revision', sa.Column('summary_en', sa.Text(), nullable=False, server_default=''))
    op.add_column('service_revision', sa.Column('keywords_en', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                                nullable=False, server_default='[]'))
    # Format 2 of the search index holds English terms too. A database without cards has a complete index in
    # any format; one with cards is rebuilt by `flask catalogue reindex` or `flask seed-demo --if-empty`.
    op.execute(NO_CARDS.format(version='2'))


NO_CARDS = ("UPDATE setting SET value = '{version}' WHERE key = 'search_index_version' "
            "AND NOT EXISTS (SELECT 1 FROM service WHERE current_revision_id IS NOT NULL)")


def downgrade():
    op.execute(NO_CARDS.format(version='1'))
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+ has it): a batch rebuild would drop and recreate service,
    # and with foreign keys on, dropping it deletes every revision, request and link row that cascades from it.
    for table, column in (('service_revision', 'keywords_en'), ('service_revision', 'summary_en'),
                          ('service_revision', 'title_en'), ('service', 'title_en')):
        op.drop_column(table, column)

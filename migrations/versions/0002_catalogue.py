"""catalogue search and county reference data

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Written by hand: besides the model's tables (synonym, search_miss, search_term) it creates the full-text
index, which differs per database and is not part of the model (app.models.search.include_name keeps
Alembic from comparing it):

- SQLite: an FTS5 table service_search(title, keywords, meta, body) keyed by service id, and a trigger that
  drops a service's entry when the service row is deleted.
- PostgreSQL: the pg_trgm extension, a table service_search(service_id, document, title, title_keywords,
  title_keywords_meta; all tsvector) with a GIN index on document (rows go when their service goes, by
  foreign key), and a trigram GIN index on search_term.key.

It also loads the counties of every province from migrations/data/counties.json, a copy frozen with this
migration so that the reference data of revision 0002 never changes.
"""
import json
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COUNTIES = Path(__file__).resolve().parent.parent / "data" / "counties.json"


def _counties():
    if not COUNTIES.exists():
        return []
    return json.loads(COUNTIES.read_text(encoding="utf-8"))


def upgrade():
    op.create_table('search_miss',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_miss')),
    sa.UniqueConstraint('query', name=op.f('uq_search_miss_query'))
    )
    with op.batch_alter_table('search_miss', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_miss_last_seen'), ['last_seen'], unique=False)

    op.create_table('search_term',
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_search_term'))
    )
    op.create_table('synonym',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=100), nullable=False),
    sa.Column('synonym', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synonym')),
    sa.UniqueConstraint('term', 'synonym', name=op.f('uq_synonym_term'))
    )
    with op.batch_alter_table('synonym', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_synonym_synonym'), ['synonym'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # document (the whole card) is what the GIN index finds candidates in; the three smaller ones are
        # tested per candidate to rank it (title, title + keywords, title + keywords + agency/topics/code).
        op.execute(
            "CREATE TABLE service_search ("
            " service_id INTEGER NOT NULL,"
            " document TSVECTOR NOT NULL,"
            " title TSVECTOR NOT NULL,"
            " title_keywords TSVECTOR NOT NULL,"
            " title_keywords_meta TSVECTOR NOT NULL,"
            " CONSTRAINT pk_service_search PRIMARY KEY (service_id),"
            " CONSTRAINT fk_service_search_service_id_service FOREIGN KEY (service_id)"
            " REFERENCES service (id) ON DELETE CASCADE)")
        op.execute("CREATE INDEX ix_service_search_document ON service_search USING gin (document)")
        op.execute("CREATE INDEX ix_search_term_key_trgm ON search_term USING gin (key gin_trgm_ops)")
    else:
        # Text arrives already normalised and folded by app.search_index, so the tokenizer only splits on
        # spaces; prefix indexes make the first letters typed (as-you-type search) cheap.
        op.execute(
            "CREATE VIRTUAL TABLE service_search USING fts5("
            "title, keywords, meta, body, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3')")
        op.execute(
            "CREATE TRIGGER service_search_delete AFTER DELETE ON service BEGIN"
            " DELETE FROM service_search WHERE rowid = old.id; END")

    # The index is empty now: on a database without cards it is complete (format 1 of app.search_index);
    # one that already has cards needs `flask catalogue reindex`, which seed-demo --if-empty also runs.
    op.execute("INSERT INTO setting (key, value) SELECT 'search_index_version', '1' "
               "WHERE NOT EXISTS (SELECT 1 FROM service WHERE current_revision_id IS NOT NULL)")

    counties = _counties()
    if counties:
        connection = op.get_bind()
        provinces = dict(connection.execute(sa.text("SELECT code, id FROM province")).all())
        county = sa.table('county', sa.column('code', sa.String), sa.column('province_id', sa.Integer),
                          sa.column('name', sa.String), sa.column('name_en', sa.String),
                          sa.column('latitude', sa.Float), sa.column('longitude', sa.Float))
        op.bulk_insert(county, [
            dict(code=c["code"], province_id=provinces[c["province_code"]], name=c["name"],
                 name_en=c.get("name_en", ""), latitude=c.get("latitude"), longitude=c.get("longitude"))
            for c in counties])


def downgrade():
    op.execute("DELETE FROM setting WHERE key = 'search_index_version'")
    codes = [c["code"] for c in _counties()]
    if codes:
        county = sa.table('county', sa.column('code', sa.String))
        op.execute(county.delete().where(county.c.code.in_(codes)))

    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_term_key_trgm")
        op.execute("DROP TABLE IF EXISTS service_search")
        # pg_trgm stays: other objects in the database may have come to rely on it.
    else:
        op.execute("DROP TRIGGER IF EXISTS service_search_delete")
        op.execute("DROP TABLE IF EXISTS service_search")

    with op.batch_alter_table('synonym', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_synonym_synonym'))

    op.drop_table('synonym')
    op.drop_table('search_term')
    with op.batch_alter_table('search_miss', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_miss_last_seen'))

    op.drop_table('search_miss')

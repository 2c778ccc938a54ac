"""search: on PostgreSQL, the index entries in the order results are shown, and each rank's own full-text index

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

A common word's first page is its busiest cards in the best tier. Walking the entries busiest first and testing
each one's small tsvectors finds them after a few hundred entries, where reading every match through the full-text
index and sorting them read all of them (at 100,000 cards «صدور» matches 14,293, on 11,315 heap pages).

A rare tier (every word of «گواهی نامه رانندگی» in the title: 202 cards of the 9,496 that have the words anywhere)
is read through a GIN index of its own tsvector (title, title_keywords, title_keywords_meta), not through the
document's and then tested card by card.

The GIN indexes write each entry into their tree as it comes (fastupdate off): with a pending list, every search
after an import read the list through, entry by entry (at 10,000 cards a title tier took 3.1 ms instead of 0.14)
until a vacuum merged it, and the catalogue is written seldom and read all the time.

SQLite's FTS5 answers a match for the whole table at once and orders through service: nothing changes there.
"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_service_search_volume ON service_search (yearly_volume DESC, code)")
    for column in ("title", "title_keywords", "title_keywords_meta"):
        op.execute(f"CREATE INDEX ix_service_search_{column} ON service_search USING gin ({column})"
                   " WITH (fastupdate = off)")
    for index in ("ix_service_search_document", "ix_search_term_key_trgm"):
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{index}')")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_service_search_volume, ix_service_search_title, ix_service_search_title_keywords,"
               " ix_service_search_title_keywords_meta")
    for index in ("ix_service_search_document", "ix_search_term_key_trgm"):
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")

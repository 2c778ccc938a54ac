"""reserved for ratings and complaints (feedback, issue 14): no change to the schema yet

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

The number was held for the feedback tables while the other parts of issue 14 were built beside them; they were not
built in that round, so this revision changes nothing and the feedback tables will come in a later revision.
"""

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

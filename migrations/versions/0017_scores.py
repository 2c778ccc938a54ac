"""agency score snapshots: score_snapshot (one computation), score_total (each agency's score, axis subtotals and
rank in it: the ranking is one indexed query), score_line (the numbers behind each indicator)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL. Only new tables: no rebuild.
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'score_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('as_of', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('method_version', sa.String(length=16), nullable=False),
        sa.Column('agencies', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.CheckConstraint("kind IN ('nightly', 'on_demand')", name=op.f('ck_score_snapshot_kind')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_score_snapshot')),
    )
    op.create_index('ix_score_snapshot_as_of', 'score_snapshot', ['as_of'])
    op.create_table(
        'score_total',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('snapshot_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('province_id', sa.Integer(), nullable=True),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=False),
        sa.Column('user_centred', sa.Float(), nullable=False),
        sa.Column('transparent', sa.Float(), nullable=False),
        sa.Column('integrated', sa.Float(), nullable=False),
        sa.Column('participatory', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['snapshot_id'], ['score_snapshot.id'],
                                name=op.f('fk_score_total_snapshot_id_score_snapshot'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_score_total_agency_id_agency'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_score_total_province_id_province')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_score_total')),
        sa.UniqueConstraint('snapshot_id', 'agency_id', name=op.f('uq_score_total_snapshot_id')),
    )
    op.create_index('ix_score_total_snapshot_rank', 'score_total', ['snapshot_id', 'rank'])
    op.create_index('ix_score_total_snapshot_province_rank', 'score_total', ['snapshot_id', 'province_id', 'rank'])
    op.create_index('ix_score_total_agency_id', 'score_total', ['agency_id'])
    op.create_table(
        'score_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('snapshot_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('indicator', sa.String(length=40), nullable=False),
        sa.Column('numerator', sa.Float(), nullable=False),
        sa.Column('denominator', sa.Float(), nullable=False),
        sa.Column('target', sa.Float(), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.Column('points', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['snapshot_id'], ['score_snapshot.id'],
                                name=op.f('fk_score_line_snapshot_id_score_snapshot'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_score_line_agency_id_agency'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_score_line')),
    )
    op.create_index('ix_score_line_snapshot_agency', 'score_line', ['snapshot_id', 'agency_id'])


def downgrade():
    op.drop_index('ix_score_line_snapshot_agency', table_name='score_line')
    op.drop_table('score_line')
    op.drop_index('ix_score_total_agency_id', table_name='score_total')
    op.drop_index('ix_score_total_snapshot_province_rank', table_name='score_total')
    op.drop_index('ix_score_total_snapshot_rank', table_name='score_total')
    op.drop_table('score_total')
    op.drop_index('ix_score_snapshot_as_of', table_name='score_snapshot')
    op.drop_table('score_snapshot')

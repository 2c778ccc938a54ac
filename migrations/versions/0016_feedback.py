"""ratings and complaints (feedback, issue 14): rating (one per delivered request) and complaint

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

The number was held for the feedback tables while the other parts of issue 14 were built beside them; it was a
no-op until the tables were built, and no database has stored anything under it. Written by hand; plain types only,
so the same file runs on SQLite and PostgreSQL. Only new tables: no rebuild.
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

FLAGS = "flag IN ('', 'personal', 'spam')"


def upgrade():
    op.create_table(
        'rating',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('stars', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('flag', sa.String(length=10), nullable=False),
        sa.Column('flagged_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('stars >= 1 AND stars <= 5', name=op.f('ck_rating_stars_range')),
        sa.CheckConstraint(FLAGS, name=op.f('ck_rating_flag')),
        sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_rating_request_id_request'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_rating_service_id_service')),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_rating_agency_id_agency')),
        sa.ForeignKeyConstraint(['flagged_by_id'], ['user.id'], name=op.f('fk_rating_flagged_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rating')),
        sa.UniqueConstraint('request_id', name=op.f('uq_rating_request_id')),
    )
    op.create_index('ix_rating_service_created', 'rating', ['service_id', 'created_at'])
    op.create_index('ix_rating_agency_created', 'rating', ['agency_id', 'created_at'])
    op.create_table(
        'complaint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=12), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('province_id', sa.Integer(), nullable=True),
        sa.Column('complainant_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('reply', sa.Text(), nullable=False),
        sa.Column('replied_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('escalated_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('flag', sa.String(length=10), nullable=False),
        sa.Column('flagged_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.CheckConstraint("state IN ('open', 'answered', 'closed', 'escalated')", name=op.f('ck_complaint_state')),
        sa.CheckConstraint(FLAGS, name=op.f('ck_complaint_flag')),
        sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_complaint_request_id_request'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_complaint_service_id_service')),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_complaint_agency_id_agency')),
        sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_complaint_province_id_province')),
        sa.ForeignKeyConstraint(['complainant_id'], ['user.id'], name=op.f('fk_complaint_complainant_id_user')),
        sa.ForeignKeyConstraint(['replied_by_id'], ['user.id'], name=op.f('fk_complaint_replied_by_id_user')),
        sa.ForeignKeyConstraint(['flagged_by_id'], ['user.id'], name=op.f('fk_complaint_flagged_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
        sa.UniqueConstraint('reference', name=op.f('uq_complaint_reference')),
    )
    op.create_index('ix_complaint_request_id', 'complaint', ['request_id'])
    op.create_index('ix_complaint_service_id', 'complaint', ['service_id'])
    op.create_index('ix_complaint_complainant_id', 'complaint', ['complainant_id'])
    op.create_index('ix_complaint_agency_created', 'complaint', ['agency_id', 'created_at'])
    op.create_index('ix_complaint_state_created', 'complaint', ['state', 'created_at'])
    op.create_index('ix_complaint_province_escalated', 'complaint', ['province_id', 'escalated_at'])


def downgrade():
    op.drop_index('ix_complaint_province_escalated', table_name='complaint')
    op.drop_index('ix_complaint_state_created', table_name='complaint')
    op.drop_index('ix_complaint_agency_created', table_name='complaint')
    op.drop_index('ix_complaint_complainant_id', table_name='complaint')
    op.drop_index('ix_complaint_service_id', table_name='complaint')
    op.drop_index('ix_complaint_request_id', table_name='complaint')
    op.drop_table('complaint')
    op.drop_index('ix_rating_agency_created', table_name='rating')
    op.drop_index('ix_rating_service_created', table_name='rating')
    op.drop_table('rating')

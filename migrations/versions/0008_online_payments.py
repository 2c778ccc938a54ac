"""online payments: the online_payment table (a draft's trip to the bank gateway), the gateway simulator's own
payment_simulation table, and 'online' among payment methods

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Written by hand; plain types only, so the same file runs on SQLite and PostgreSQL. The allowed values are written
out here, not imported from the models (a migration is a frozen record of the schema at this revision). On SQLite
the payment table is rebuilt to change its CHECK; nothing points at payment, so the rebuild deletes nothing.
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'online_payment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=43), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('applicant_id', sa.Integer(), nullable=False),
        sa.Column('amount_rial', sa.BigInteger(), nullable=False),
        sa.Column('backend', sa.String(length=16), nullable=False),
        sa.Column('authority', sa.String(length=64), nullable=False),
        sa.Column('redirect_url', sa.String(length=500), nullable=False),
        sa.Column('gateway_reference', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('refunded_at', sa.DateTime(), nullable=True),
        sa.Column('refunded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'verified', 'failed', 'cancelled')",
                           name=op.f('ck_online_payment_state')),
        sa.CheckConstraint('amount_rial >= 0', name=op.f('ck_online_payment_amount_rial_not_negative')),
        sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_online_payment_request_id_request'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['applicant_id'], ['user.id'], name=op.f('fk_online_payment_applicant_id_user')),
        sa.ForeignKeyConstraint(['refunded_by_id'], ['user.id'],
                                name=op.f('fk_online_payment_refunded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_online_payment')),
        sa.UniqueConstraint('token', name=op.f('uq_online_payment_token')),
    )
    op.create_index('ix_online_payment_request_state', 'online_payment', ['request_id', 'state'])
    op.create_index(op.f('ix_online_payment_applicant_id'), 'online_payment', ['applicant_id'])
    op.create_table(
        'simulated_gateway_payment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('authority', sa.String(length=64), nullable=False),
        sa.Column('order_id', sa.String(length=64), nullable=False),
        sa.Column('amount_rial', sa.BigInteger(), nullable=False),
        sa.Column('callback_url', sa.String(length=500), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('reference', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('verified_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('started', 'paid', 'failed', 'cancelled')",
                           name=op.f('ck_simulated_gateway_payment_state')),
        sa.CheckConstraint('amount_rial >= 0', name=op.f('ck_simulated_gateway_payment_amount_rial_not_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_simulated_gateway_payment')),
        sa.UniqueConstraint('authority', name=op.f('uq_simulated_gateway_payment_authority')),
    )
    with op.batch_alter_table('payment') as batch:
        batch.drop_constraint(op.f('ck_payment_method'), type_='check')
        batch.create_check_constraint(op.f('ck_payment_method'), "method IN ('cash', 'card', 'online')")


def downgrade():
    # Money taken online is never thrown away by a schema change: refuse rather than delete those rows.
    if op.get_bind().execute(sa.text("SELECT COUNT(*) FROM payment WHERE method = 'online'")).scalar():
        raise RuntimeError('payments taken online exist; they cannot be kept under revision 0007')
    with op.batch_alter_table('payment') as batch:
        batch.drop_constraint(op.f('ck_payment_method'), type_='check')
        batch.create_check_constraint(op.f('ck_payment_method'), "method IN ('cash', 'card')")
    op.drop_table('simulated_gateway_payment')
    op.drop_index(op.f('ix_online_payment_applicant_id'), table_name='online_payment')
    op.drop_index('ix_online_payment_request_state', table_name='online_payment')
    op.drop_table('online_payment')

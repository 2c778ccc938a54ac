"""SMS outbox and one-time codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sms_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mobile', sa.String(length=11), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('backend', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_message')),
    )
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_message_mobile'), ['mobile'], unique=False)

    op.create_table(
        'otp_challenge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('national_code', sa.String(length=10), nullable=False),
        sa.Column('mobile', sa.String(length=11), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('consumed_at', sa.DateTime(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_otp_challenge_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_challenge')),
        sa.UniqueConstraint('public_id', name=op.f('uq_otp_challenge_public_id')),
    )
    with op.batch_alter_table('otp_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_otp_challenge_national_code'), ['national_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_otp_challenge_mobile'), ['mobile'], unique=False)


def downgrade():
    op.drop_table('otp_challenge')
    op.drop_table('sms_message')

"""constraints: CHECK for every enumerated column and for money, jsonb on PostgreSQL, audit-scope and inbox indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Written by hand. The allowed values are written out here, not imported from the models: a migration is a frozen
record of the schema at this revision, and tests/unit/test_constraints.py checks that the database's constraints
and the models' constants agree.

SQLite cannot add a constraint to a table, so batch mode rebuilds each table (copy, drop, rename). Dropping a table
with foreign keys enforced would first delete its rows and cascade to the rows that point at it, so the rebuild
runs with foreign keys off (checked, since the pragma is ignored inside a transaction) and the keys are verified
afterwards. The service table, whose delete trigger keeps the search index in step, is not rebuilt.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

REQUEST_STATUSES = ("'draft', 'submitted', 'in_review', 'needs_info', 'resubmitted', 'approved', 'rejected', "
                    "'delivered', 'withdrawn'")
EVENT_STATUSES = "'', " + REQUEST_STATUSES
STAGE_MODES = "'electronic', 'in_person'"

CHECKS = {
    'agency': [
        ('ck_agency_connection_status', "connection_status IN ('connected', 'redirect', 'not_connected')"),
        ('ck_agency_level', "level IN ('national', 'provincial')"),
    ],
    'service_revision': [
        ('ck_service_revision_status', "status IN ('draft', 'pending', 'approved', 'rejected')"),
        ('ck_service_revision_service_type', "service_type IN ('G2C', 'G2B', 'G2G')"),
        ('ck_service_revision_level', "level IN ('national', 'provincial', 'county', 'municipal', 'rural')"),
        ('ck_service_revision_nature', "nature IN ('sovereign', 'operational')"),
        ('ck_service_revision_stage_information', f"stage_information IN ({STAGE_MODES})"),
        ('ck_service_revision_stage_request', f"stage_request IN ({STAGE_MODES})"),
        ('ck_service_revision_stage_production', f"stage_production IN ({STAGE_MODES})"),
        ('ck_service_revision_stage_delivery', f"stage_delivery IN ({STAGE_MODES})"),
        ('ck_service_revision_fee_rial_not_negative', "fee_rial >= 0"),
        ('ck_service_revision_duration_days_not_negative', "duration_days >= 0"),
        ('ck_service_revision_in_person_visits_not_negative', "in_person_visits >= 0"),
        ('ck_service_revision_yearly_volume_not_negative', "yearly_volume >= 0"),
    ],
    'user': [
        ('ck_user_role', "role IN ('citizen', 'clerk', 'office_manager', 'agency_officer', 'agency_manager', "
                         "'provincial_admin', 'national_admin')"),
    ],
    'office': [
        ('ck_office_status', "status IN ('active', 'suspended')"),
    ],
    'outsourcing': [
        ('ck_outsourcing_status', "status IN ('pending', 'approved', 'rejected', 'revoked')"),
        ('ck_outsourcing_counter_fee_rial_not_negative', "counter_fee_rial >= 0"),
    ],
    'outsourcing_decision': [
        ('ck_outsourcing_decision_action', "action IN ('propose', 'approve', 'reject', 'revoke', 'change_fee')"),
        ('ck_outsourcing_decision_counter_fee_rial_not_negative', "counter_fee_rial >= 0"),
    ],
    'request': [
        ('ck_request_status', f"status IN ({REQUEST_STATUSES})"),
        ('ck_request_channel', "channel IN ('online', 'counter', 'api')"),
        ('ck_request_consent_method', "consent_method IN ('', 'otp', 'paper')"),
    ],
    'request_event': [
        ('ck_request_event_action', "action IN ('submit', 'take', 'ask_info', 'answer', 'approve', 'reject', "
                                    "'deliver', 'withdraw', 'message')"),
        ('ck_request_event_actor_kind', "actor_kind IN ('citizen', 'agency', 'office', 'system')"),
        ('ck_request_event_from_status', f"from_status IN ({EVENT_STATUSES})"),
        ('ck_request_event_to_status', f"to_status IN ({EVENT_STATUSES})"),
    ],
    'attachment': [
        ('ck_attachment_kind', "kind IN ('applicant', 'agency', 'result')"),
        ('ck_attachment_size_not_negative', "size >= 0"),
    ],
    'payment': [
        ('ck_payment_kind', "kind IN ('government_fee', 'counter_fee')"),
        ('ck_payment_method', "method IN ('cash', 'card')"),
        ('ck_payment_amount_rial_not_negative', "amount_rial >= 0"),
    ],
    'sms_message': [
        ('ck_sms_message_purpose', "purpose IN ('', 'otp', 'tracking', 'status')"),
        ('ck_sms_message_status', "status IN ('stored', 'sent', 'failed')"),
    ],
    'otp_challenge': [
        ('ck_otp_challenge_purpose', "purpose IN ('sign_in', 'counter_consent', 'mobile_change')"),
        ('ck_otp_challenge_attempts_not_negative', "attempts >= 0"),
    ],
    'day_close': [
        ('ck_day_close_expected_cash_rial_not_negative', "expected_cash_rial >= 0"),
        ('ck_day_close_counted_cash_rial_not_negative', "counted_cash_rial >= 0"),
        ('ck_day_close_difference', "difference_rial = counted_cash_rial - expected_cash_rial"),
    ],
}

JSON_COLUMNS = {
    'service_revision': ['keywords', 'conditions', 'documents', 'procedure', 'channels', 'cluster_slugs',
                         'life_event_slugs', 'province_codes', 'form_definition'],
    'request': ['answers'],
    'day_close': ['totals'],
    'audit_event': ['before', 'after'],
}

DESK_STATUSES = "status IN ('submitted', 'in_review', 'needs_info', 'resubmitted', 'approved')"


def _sqlite():
    return op.get_bind().dialect.name == 'sqlite'


def _foreign_keys_off():
    bind = op.get_bind()
    bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
    if bind.exec_driver_sql('PRAGMA foreign_keys').scalar():
        raise RuntimeError('foreign keys are still enforced (a transaction is open): rebuilding the tables would '
                           'cascade deletes; run this migration on its own')


def _foreign_keys_on():
    bind = op.get_bind()
    broken = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
    if broken:
        raise RuntimeError(f'foreign keys broken by the table rebuild: {broken[:5]}')
    bind.exec_driver_sql('PRAGMA foreign_keys=ON')


def upgrade():
    sqlite = _sqlite()
    if sqlite:
        _foreign_keys_off()
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks:
                batch.create_check_constraint(op.f(name), condition)
    if sqlite:
        _foreign_keys_on()
    else:
        for table, columns in JSON_COLUMNS.items():
            for name in columns:
                op.alter_column(table, name, type_=postgresql.JSONB(), existing_type=sa.JSON(),
                                existing_nullable=False, postgresql_using=f'"{name}"::jsonb')

    op.create_index('ix_request_desk_inbox', 'request', ['agency_id', 'submitted_at', 'id'], unique=False,
                    sqlite_where=sa.text(DESK_STATUSES), postgresql_where=sa.text(DESK_STATUSES))
    op.drop_index('ix_audit_event_actor_id', table_name='audit_event')
    op.create_index('ix_audit_event_actor', 'audit_event', ['actor_id', 'id'], unique=False)
    op.create_index('ix_audit_event_object', 'audit_event', ['object_type', 'object_ref', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_audit_event_object', table_name='audit_event')
    op.drop_index('ix_audit_event_actor', table_name='audit_event')
    op.create_index('ix_audit_event_actor_id', 'audit_event', ['actor_id'], unique=False)
    op.drop_index('ix_request_desk_inbox', table_name='request')

    sqlite = _sqlite()
    if sqlite:
        _foreign_keys_off()
    else:
        for table, columns in JSON_COLUMNS.items():
            for name in columns:
                op.alter_column(table, name, type_=sa.JSON(), existing_type=postgresql.JSONB(),
                                existing_nullable=False, postgresql_using=f'"{name}"::json')
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, _condition in checks:
                batch.drop_constraint(op.f(name), type_='check')
    if sqlite:
        _foreign_keys_on()

"""shared model

Revision ID: 0001
Revises: 
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# The 31 provinces are reference data every installation has (ISO 3166-2:IR codes).
PROVINCES = [
    ("00", "markazi", "مرکزی", "Markazi"), ("01", "gilan", "گیلان", "Gilan"),
    ("02", "mazandaran", "مازندران", "Mazandaran"), ("03", "east-azerbaijan", "آذربایجان شرقی", "East Azerbaijan"),
    ("04", "west-azerbaijan", "آذربایجان غربی", "West Azerbaijan"), ("05", "kermanshah", "کرمانشاه", "Kermanshah"),
    ("06", "khuzestan", "خوزستان", "Khuzestan"), ("07", "fars", "فارس", "Fars"), ("08", "kerman", "کرمان", "Kerman"),
    ("09", "razavi-khorasan", "خراسان رضوی", "Razavi Khorasan"), ("10", "isfahan", "اصفهان", "Isfahan"),
    ("11", "sistan-baluchestan", "سیستان و بلوچستان", "Sistan and Baluchestan"),
    ("12", "kurdistan", "کردستان", "Kurdistan"), ("13", "hamadan", "همدان", "Hamadan"),
    ("14", "chaharmahal-bakhtiari", "چهارمحال و بختیاری", "Chaharmahal and Bakhtiari"),
    ("15", "lorestan", "لرستان", "Lorestan"), ("16", "ilam", "ایلام", "Ilam"),
    ("17", "kohgiluyeh-boyer-ahmad", "کهگیلویه و بویراحمد", "Kohgiluyeh and Boyer-Ahmad"),
    ("18", "bushehr", "بوشهر", "Bushehr"), ("19", "zanjan", "زنجان", "Zanjan"), ("20", "semnan", "سمنان", "Semnan"),
    ("21", "yazd", "یزد", "Yazd"), ("22", "hormozgan", "هرمزگان", "Hormozgan"), ("23", "tehran", "تهران", "Tehran"),
    ("24", "ardabil", "اردبیل", "Ardabil"), ("25", "qom", "قم", "Qom"), ("26", "qazvin", "قزوین", "Qazvin"),
    ("27", "golestan", "گلستان", "Golestan"), ("28", "north-khorasan", "خراسان شمالی", "North Khorasan"),
    ("29", "south-khorasan", "خراسان جنوبی", "South Khorasan"), ("30", "alborz", "البرز", "Alborz"),
]


def upgrade():
    op.create_table('cluster',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cluster')),
    sa.UniqueConstraint('slug', name=op.f('uq_cluster_slug'))
    )
    op.create_table('life_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_life_event')),
    sa.UniqueConstraint('slug', name=op.f('uq_life_event_slug'))
    )
    op.create_table('province',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_province')),
    sa.UniqueConstraint('code', name=op.f('uq_province_code')),
    sa.UniqueConstraint('slug', name=op.f('uq_province_slug'))
    )
    op.create_table('setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('connection_status', sa.String(length=16), nullable=False),
    sa.Column('website_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['agency.id'], name=op.f('fk_agency_parent_id_agency')),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_agency_province_id_province')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('code', name=op.f('uq_agency_code'))
    )
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_province_id'), ['province_id'], unique=False)

    op.create_table('county',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_county_province_id_province')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_county')),
    sa.UniqueConstraint('code', name=op.f('uq_county_code')),
    sa.UniqueConstraint('province_id', 'name', name=op.f('uq_county_province_id'))
    )
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_county_province_id'), ['province_id'], unique=False)

    op.create_table('office',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('opening_hours', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], name=op.f('fk_office_county_id_county')),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_office_province_id_province')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office')),
    sa.UniqueConstraint('code', name=op.f('uq_office_code'))
    )
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_office_province_id'), ['province_id'], unique=False)

    op.create_table('service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('current_revision_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('yearly_volume', sa.BigInteger(), nullable=False),
    sa.Column('fully_electronic', sa.Boolean(), nullable=False),
    sa.Column('offered_everywhere', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_service_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service')),
    sa.UniqueConstraint('code', name=op.f('uq_service_code'))
    )
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_current_revision_id'), ['current_revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_yearly_volume'), ['yearly_volume'], unique=False)

    op.create_table('service_cluster',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], name=op.f('fk_service_cluster_cluster_id_cluster'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_cluster_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'cluster_id', name=op.f('pk_service_cluster'))
    )
    with op.batch_alter_table('service_cluster', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_cluster_cluster_id'), ['cluster_id'], unique=False)

    op.create_table('service_life_event',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('life_event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['life_event_id'], ['life_event.id'], name=op.f('fk_service_life_event_life_event_id_life_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_life_event_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'life_event_id', name=op.f('pk_service_life_event'))
    )
    with op.batch_alter_table('service_life_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_life_event_life_event_id'), ['life_event_id'], unique=False)

    op.create_table('service_province',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_service_province_province_id_province'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_province_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'province_id', name=op.f('pk_service_province'))
    )
    with op.batch_alter_table('service_province', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_province_province_id'), ['province_id'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('national_code', sa.String(length=10), nullable=True),
    sa.Column('mobile', sa.String(length=11), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('is_active_account', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_user_agency_id_agency')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_user_office_id_office')),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_user_province_id_province')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('national_code', name=op.f('uq_user_national_code')),
    sa.UniqueConstraint('public_id', name=op.f('uq_user_public_id')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_mobile'), ['mobile'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_role'), ['role'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_ref', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)

    op.create_table('outsourcing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('all_provinces', sa.Boolean(), nullable=False),
    sa.Column('counter_fee_rial', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_outsourcing_proposed_by_id_user')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_outsourcing_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outsourcing')),
    sa.UniqueConstraint('public_id', name=op.f('uq_outsourcing_public_id'))
    )
    with op.batch_alter_table('outsourcing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outsourcing_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outsourcing_status'), ['status'], unique=False)

    op.create_table('service_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('service_type', sa.String(length=4), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('nature', sa.String(length=12), nullable=False),
    sa.Column('audience', sa.String(length=300), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('procedure', sa.JSON(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('cluster_slugs', sa.JSON(), nullable=False),
    sa.Column('life_event_slugs', sa.JSON(), nullable=False),
    sa.Column('province_codes', sa.JSON(), nullable=False),
    sa.Column('offered_everywhere', sa.Boolean(), nullable=False),
    sa.Column('fee_rial', sa.BigInteger(), nullable=False),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('in_person_visits', sa.Integer(), nullable=False),
    sa.Column('stage_information', sa.String(length=10), nullable=False),
    sa.Column('stage_request', sa.String(length=10), nullable=False),
    sa.Column('stage_production', sa.String(length=10), nullable=False),
    sa.Column('stage_delivery', sa.String(length=10), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=False),
    sa.Column('yearly_volume', sa.BigInteger(), nullable=False),
    sa.Column('form_definition', sa.JSON(), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_service_revision_author_id_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_service_revision_decided_by_id_user')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_revision_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_revision')),
    sa.UniqueConstraint('service_id', 'number', name=op.f('uq_service_revision_service_id'))
    )
    with op.batch_alter_table('service_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_revision_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_revision_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_revision_status'), ['status'], unique=False)

    # service and service_revision point at each other: the second foreign key is added once both exist.
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_service_current_revision_id_service_revision'),
                                    'service_revision', ['current_revision_id'], ['id'], use_alter=True)

    op.create_table('outsourcing_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outsourcing_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('counter_fee_rial', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_outsourcing_decision_actor_id_user')),
    sa.ForeignKeyConstraint(['outsourcing_id'], ['outsourcing.id'], name=op.f('fk_outsourcing_decision_outsourcing_id_outsourcing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outsourcing_decision'))
    )
    with op.batch_alter_table('outsourcing_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outsourcing_decision_outsourcing_id'), ['outsourcing_id'], unique=False)

    op.create_table('outsourcing_province',
    sa.Column('outsourcing_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['outsourcing_id'], ['outsourcing.id'], name=op.f('fk_outsourcing_province_outsourcing_id_outsourcing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_outsourcing_province_province_id_province'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outsourcing_id', 'province_id', name=op.f('pk_outsourcing_province'))
    )
    with op.batch_alter_table('outsourcing_province', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outsourcing_province_province_id'), ['province_id'], unique=False)

    op.create_table('request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_code', sa.String(length=12), nullable=True),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('consent_method', sa.String(length=12), nullable=False),
    sa.Column('consent_reference', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('result_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_request_agency_id_agency')),
    sa.ForeignKeyConstraint(['applicant_id'], ['user.id'], name=op.f('fk_request_applicant_id_user')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['user.id'], name=op.f('fk_request_filed_by_id_user')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_request_office_id_office')),
    sa.ForeignKeyConstraint(['revision_id'], ['service_revision.id'], name=op.f('fk_request_revision_id_service_revision')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_request_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_request_idempotency_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_request_public_id')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_request_tracking_code'))
    )
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.create_index('ix_request_agency_status_submitted', ['agency_id', 'status', 'submitted_at'], unique=False)
        batch_op.create_index('ix_request_applicant_created', ['applicant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_request_office_submitted', ['office_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_service_id'), ['service_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount_rial', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('clerk_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clerk_id'], ['user.id'], name=op.f('fk_payment_clerk_id_user')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_payment_office_id_office')),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_payment_request_id_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('request_id', 'kind', name=op.f('uq_payment_request_id'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index('ix_payment_office_created', ['office_id', 'created_at'], unique=False)

    op.create_table('request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_request_event_actor_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_request_event_request_id_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_event'))
    )
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_event_request_id'), ['request_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('field_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_name', sa.String(length=80), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['request_event.id'], name=op.f('fk_attachment_event_id_request_event')),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_attachment_request_id_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_attachment_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('public_id', name=op.f('uq_attachment_public_id')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_attachment_storage_name'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_request_id'), ['request_id'], unique=False)

    province = sa.table('province', sa.column('code', sa.String), sa.column('slug', sa.String),
                        sa.column('name', sa.String), sa.column('name_en', sa.String))
    op.bulk_insert(province, [dict(code=c, slug=s, name=n, name_en=e) for c, s, n, e in PROVINCES])


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_request_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_event_request_id'))

    op.drop_table('request_event')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_office_created')

    op.drop_table('payment')
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_service_id'))
        batch_op.drop_index('ix_request_office_submitted')
        batch_op.drop_index('ix_request_applicant_created')
        batch_op.drop_index('ix_request_agency_status_submitted')

    op.drop_table('request')
    with op.batch_alter_table('outsourcing_province', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outsourcing_province_province_id'))

    op.drop_table('outsourcing_province')
    with op.batch_alter_table('outsourcing_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outsourcing_decision_outsourcing_id'))

    op.drop_table('outsourcing_decision')
    with op.batch_alter_table('service_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_revision_status'))
        batch_op.drop_index(batch_op.f('ix_service_revision_service_id'))
        batch_op.drop_index(batch_op.f('ix_service_revision_author_id'))

    op.drop_table('service_revision')
    with op.batch_alter_table('outsourcing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outsourcing_status'))
        batch_op.drop_index(batch_op.f('ix_outsourcing_service_id'))

    op.drop_table('outsourcing')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_role'))
        batch_op.drop_index(batch_op.f('ix_user_province_id'))
        batch_op.drop_index(batch_op.f('ix_user_office_id'))
        batch_op.drop_index(batch_op.f('ix_user_mobile'))
        batch_op.drop_index(batch_op.f('ix_user_agency_id'))

    op.drop_table('user')
    with op.batch_alter_table('service_province', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_province_province_id'))

    op.drop_table('service_province')
    with op.batch_alter_table('service_life_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_life_event_life_event_id'))

    op.drop_table('service_life_event')
    with op.batch_alter_table('service_cluster', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_cluster_cluster_id'))

    op.drop_table('service_cluster')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_yearly_volume'))
        batch_op.drop_index(batch_op.f('ix_service_current_revision_id'))
        batch_op.drop_index(batch_op.f('ix_service_agency_id'))

    op.drop_table('service')
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_province_id'))
        batch_op.drop_index(batch_op.f('ix_office_county_id'))

    op.drop_table('office')
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_county_province_id'))

    op.drop_table('county')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_province_id'))
        batch_op.drop_index(batch_op.f('ix_agency_parent_id'))

    op.drop_table('agency')
    op.drop_table('setting')
    op.drop_table('province')
    op.drop_table('life_event')
    op.drop_table('cluster')

"""The migrations and the models describe the same schema, on whichever database the suite runs."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db
from app.models import Province
from app.models.search import include_name


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        assert compare_metadata(context, db.metadata) == []


def test_every_province_is_reference_data_after_upgrade(app):
    with app.app_context():
        provinces = db.session.execute(db.select(Province)).scalars().all()
        assert len(provinces) == 31
        assert {"تهران", "آذربایجان شرقی", "سیستان و بلوچستان", "البرز"} <= {p.name for p in provinces}

"""The migrations and the models describe the same schema, on whichever database the suite runs; landed migrations
never change."""

import hashlib
from pathlib import Path

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


VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
# Kept by hand: a new migration adds its line here when it lands, and the line never changes afterwards.
LANDED = {
    "0001_shared_model.py": "a10f91e1b132ae95358ec5329b25466515b89e46a9c5b4ca8dd194ed36ce8254",
    "0002_catalogue.py": "e68934ca85c53e0890d20e472cc707e1bec243d110e9dc461bbb6108b13cd257",
    "0003_messaging.py": "ac3d599c52b97b55943d0ba2bb1a7e779c3a45dfff8d5ff08fa28f2a2e83244d",
    "0004_counter.py": "6788a42e42e34aba1f94fc87a62bb54b4fab70607d7b476d8aa7818dbfd9f1eb",
    "0005_security.py": "5c37361a86153d4c7fedb718ed465e88e6bf3c93180def52d33fbc885e652684",
    "0006_constraints.py": "bae077df3455ddf6e8e9f4cc8b10010129624c5383a2e4cbcc5635170e0aad3a",
    "0007_jobs.py": "6e554a57a712f25285faae3f87534bcbaa34a50fd192fa6ac9b12274208ea4b1",
    "0008_online_payments.py": "becbc999161d5bf90ccd33e8a7a9451f36e3e8e487fa230d9db0f38836285f9d",
    "0009_english_cards.py": "b952793d455b99a6760fbcafd31bd7caa2d4ab9769b8c88a533ebdcda926bccd",
    "0010_counter_visit_consent.py": "14f5b730a1b9fea88a5831f96dde828633843686562d590db50c2eaff7eaf7ad",
    "0011_desk_assignment.py": "a77fae9e224304adb9cf6e655e7fee79fd6d0c32dbd8091979183e543c7908e3",
    "0012_data_access.py": "e0799b9652d78839637a55768cbd8512f636e480f0f1e6bd42a8402661a216dd",
    "0013_inquiries.py": "d3bf7c89d97b56d2b71da1e1c552749f479480af371275b9aa76c28551257a7e",
    "0014_link_checks.py": "be41dea668b13aaef74c7874cfac110b0e0274a1994f715d83642360aebbdc98",
    "0015_connection_status.py": "c15e83e2e87afc8e0b10f764dd3d6a516a172d692fbd3c5655696ffbe4f9972c",
    # 0016 was a no-op placeholder held for the feedback tables (issue 14) and was written once they were built.
    "0016_feedback.py": "c36779ae240fa528281df7580dfad924f9e423a9f37fa0207f83ba007a6afc3e",
    "0017_scores.py": "b298f68ab5318151b233bd0582d1e658079d7f438cb31e7026f46be11004bd32",
    "0018_dashboard.py": "85f2dd9a9f40f6786a540fcd453d15db5e56a773124f1f4f4972e907b5649b05",
    "0019_search_rank_columns.py": "be465d43f9085dcbc858a0e50a50c48e60360871f39a2adf32f1e481a96bd2e3",
    "0020_search_volume_order.py": "b774e3ada50e871edd95d702a362191896b891fa96de7b6492cf0ffbdcb17780",
}


def test_landed_migrations_never_change():
    """A database upgraded before an edit keeps the old schema while a fresh one gets the new: the two then differ
    with nothing to tell. Migration 0002 was once edited after it landed; this fails on any such edit, and on a
    migration file that is not in the list yet (add its hash when it lands; change the schema in a new one)."""
    found = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in VERSIONS.iterdir() if path.is_file()}
    assert sorted(found) == sorted(LANDED), "add a new migration's sha256 to LANDED; never remove one"
    changed = [name for name, digest in LANDED.items() if found[name] != digest]
    assert changed == [], f"landed migrations were edited: {changed}; put the change in a new migration"

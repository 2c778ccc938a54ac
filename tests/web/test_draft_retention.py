"""A citizen is told, beside each draft, the day it is removed if left untouched (JOBS_DRAFT_RETENTION_DAYS)."""

from datetime import datetime

from app.extensions import db
from app.jobs import cleanup
from app.requests.filing import save_draft
from tests import factories as f
from tests.web.helpers import sign_in_citizen


def test_my_requests_says_when_an_untouched_draft_is_removed(app, client):
    with app.app_context():
        person = f.citizen()
        target = f.service()
        draft = save_draft(target, person, {})
        db.session.commit()
        draft.updated_at = datetime(2026, 1, 1, 8, 0)  # 180 days later is 30 June 2026: 9 Tir 1405
        db.session.commit()
        code, mobile = person.national_code, person.mobile
    sign_in_citizen(client, app, code, mobile)
    page = client.get("/account/requests").get_data(as_text=True)
    assert "۱۴۰۵/۰۴/۰۹" in page
    assert "پاک می‌شود" in page


def test_the_nightly_cleanup_removes_the_draft_on_that_day_and_not_before(app):
    with app.app_context():
        person = f.citizen()
        draft = save_draft(f.service(), person, {})
        db.session.commit()
        draft.updated_at = datetime(2020, 1, 1)
        keep = save_draft(f.service(), person, {})
        db.session.commit()
        assert cleanup.expired_drafts() == 1
        assert db.session.get(type(keep), keep.id) is not None

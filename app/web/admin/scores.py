"""Agency scores on demand (national administrators): the latest snapshots and a button that computes one now
(app/evaluation/scores.py store; audited). The nightly job computes one every night without it."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.evaluation import scores
from app.extensions import db
from app.models import Role
from app.people.auth import role_required
from app.web.admin import bp


class ComputeScoresForm(FlaskForm):
    """Nothing to fill in: the form carries the CSRF token of the POST that computes a snapshot."""


def _page(form=None, status=200):
    return render_template(
        "admin/scores.html", snapshots=scores.snapshots(20), form=form or ComputeScoresForm()
    ), status


@bp.get("/scores")
@role_required(Role.NATIONAL_ADMIN)
def scores_page():
    return _page()


@bp.post("/scores")
@role_required(Role.NATIONAL_ADMIN)
def scores_compute():
    form = ComputeScoresForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    snapshot = scores.store("on_demand", actor=current_user)
    db.session.commit()
    flash(_("امتیاز دستگاه‌ها محاسبه شد (محاسبهٔ شمارهٔ %(id)s).", id=snapshot.id))
    return redirect(url_for(".scores_page"))

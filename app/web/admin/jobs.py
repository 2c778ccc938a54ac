"""The background work page (national administrators): per kind, pending and failed counts and the oldest pending
age; failed jobs with their errors and a retry button; the workers' heartbeats, with a warning when none runs."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.jobs import outbox
from app.models import Role, utcnow
from app.people.auth import role_required
from app.web.admin import bp
from app.web.admin.forms import RetryJobForm


def _page(form=None, status=200):
    now = utcnow()
    return render_template(
        "admin/jobs.html",
        kinds=outbox.summary(),
        labels=outbox.LABELS,
        failed=outbox.failed_jobs(),
        beats=outbox.heartbeats(),
        alive=outbox.worker_is_alive(),
        now=now,
        form=form or RetryJobForm(),
    ), status


@bp.get("/jobs")
@role_required(Role.NATIONAL_ADMIN)
def jobs():
    return _page()


@bp.post("/jobs/retry")
@role_required(Role.NATIONAL_ADMIN)
def job_retry():
    form = RetryJobForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    job = outbox.failed_job(form.job.data)
    if job is None:
        db.session.rollback()
        abort(404)
    outbox.retry_failed(current_user, job)
    db.session.commit()
    flash(_("کار دوباره در صف قرار گرفت."))
    return redirect(url_for(".jobs"))

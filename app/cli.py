"""Flask commands: seed-demo (idempotent demo data and one account per role) and the catalogue group
(import, export, reindex, misses), audit verify (the audit log's hash chain), the ownership group (the
mobile-ownership simulator's registry: register, remove, list), cleanup all (the nightly retention, now) and
cleanup scans (uploads no request references), worker (the background worker: huey's consumer), and dashboard
refresh (the public dashboard's figures, now)."""

import sys
from pathlib import Path

import click

from app.extensions import db


def register(app):
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database holds no service yet.")
    def seed_demo(if_empty):
        """Load the demo catalogue, offices and one account per role; running it again changes nothing."""
        from app.demo import load
        from app.models import Service

        if if_empty and db.session.execute(db.select(Service.id).limit(1)).first():
            click.echo("database not empty: demo data not loaded")
            _ensure_search_index()
            return
        created = load()
        db.session.commit()
        click.echo(f"demo data: {created} new rows" if created else "demo data already present")

    register_catalogue(app)
    register_audit(app)
    register_cleanup(app)
    register_ownership(app)
    register_worker(app)
    register_links(app)
    register_inquiries(app)
    register_dashboard(app)


def _ensure_search_index():
    """A database upgraded with cards already in it has an empty (or outdated) search index: rebuild it once."""
    from app.catalogue.search import index as search_index

    rebuilt = search_index.ensure_current()
    if rebuilt is not None:
        db.session.commit()
        click.echo(f"search index rebuilt: {rebuilt} services")


def register_catalogue(app):
    @app.cli.group("catalogue")
    def catalogue_group():
        """Import, export and index the catalogue of service cards."""

    @catalogue_group.command("import")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Check the file and report, without writing anything.")
    def import_command(path, dry_run):
        """Import service cards from a .json or .csv file (all or nothing; upsert by service code)."""
        from app.catalogue.transfer import ImportFailed, import_catalogue, read_path

        try:
            source = read_path(path)
            with click.progressbar(length=len(source.services), label="importing", file=sys.stderr) as bar:
                summary = import_catalogue(source, on_row=lambda: bar.update(1))
        except ImportFailed as failed:
            db.session.rollback()
            for error in failed.errors:
                click.echo(str(error), err=True)
            click.echo(f"import failed: {len(failed.errors)} errors, nothing was written", err=True)
            sys.exit(1)
        if summary.ignored_fields:
            click.echo("ignored unknown fields: " + ", ".join(sorted(summary.ignored_fields)), err=True)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        click.echo(
            ("dry run, nothing written: " if dry_run else "")
            + f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged; "
            f"agencies {summary.agencies_created} created, {summary.agencies_updated} updated; "
            f"clusters {summary.clusters_created} and life events {summary.life_events_created} created; "
            f"synonyms {summary.synonyms_added} added"
        )

    @catalogue_group.command("export")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def export_command(path):
        """Write the published catalogue to a .json or .csv file in the import format."""
        from app.catalogue.transfer import ImportFailed, export_path

        try:
            count = export_path(path)
        except ImportFailed as failed:
            for error in failed.errors:
                click.echo(str(error), err=True)
            sys.exit(1)
        click.echo(f"{count} services written to {path}")

    @catalogue_group.command("reindex")
    def reindex_command():
        """Rebuild the search index and its vocabulary from the published cards."""
        from app.catalogue.search import index as search_index

        count = search_index.rebuild()
        db.session.commit()
        click.echo(f"search index rebuilt: {count} services")

    @catalogue_group.command("misses")
    @click.option("--limit", default=50, show_default=True, help="How many queries to list.")
    def misses_command(limit):
        """Queries that found no service, most frequent first (normalised text, count, last seen)."""
        from app.models import SearchMiss

        rows = db.session.execute(
            db.select(SearchMiss).order_by(SearchMiss.count.desc(), SearchMiss.last_seen.desc()).limit(limit)
        ).scalars()
        for row in rows:
            click.echo(f"{row.count}\t{row.last_seen:%Y-%m-%d %H:%M}\t{row.query}")


def register_audit(app):
    @app.cli.group("audit")
    def audit_group():
        """The append-only audit log."""

    @audit_group.command("verify")
    def verify_command():
        """Walk the hash chain; exit 1 naming the first event that was edited or removed."""
        from app.administration import audit

        result = audit.verify()
        click.echo(result.summary(), err=not result.ok)
        if not result.ok:
            sys.exit(1)


def register_ownership(app):
    @app.cli.group("ownership")
    def ownership_group():
        """The mobile-ownership simulator's registry: which mobile belongs to which national code."""

    def _pair(command, national_code, mobile):
        from app.core.identifiers import InvalidIdentifier

        try:
            return command(national_code, mobile)
        except InvalidIdentifier as error:
            db.session.rollback()
            raise click.BadParameter(str(error.message)) from error

    @ownership_group.command("register")
    @click.argument("national_code")
    @click.argument("mobile")
    def register_command(national_code, mobile):
        """Record that MOBILE belongs to NATIONAL_CODE (digits in any script); running it again changes nothing."""
        from app.adapters import ownership

        row, created = _pair(ownership.register, national_code, mobile)
        db.session.commit()
        click.echo(f"{'registered' if created else 'already registered'}: {row.national_code} {row.mobile}")
        if not ownership.is_simulator():
            click.echo(
                "note: MOBILE_OWNERSHIP_BACKEND is not the simulator, so sign-in does not read this list", err=True
            )

    @ownership_group.command("remove")
    @click.argument("national_code")
    @click.argument("mobile")
    def remove_command(national_code, mobile):
        """Forget that MOBILE belongs to NATIONAL_CODE; exit 1 when it was not registered."""
        from app.adapters import ownership

        removed = _pair(ownership.unregister, national_code, mobile)
        db.session.commit()
        if not removed:
            click.echo("not registered: nothing removed", err=True)
            sys.exit(1)
        click.echo("removed")

    @ownership_group.command("list")
    @click.argument("national_code", required=False)
    def list_command(national_code):
        """The registered pairs, one per line (only NATIONAL_CODE's when given)."""
        from app.adapters import ownership
        from app.core.identifiers import InvalidIdentifier

        try:
            rows = ownership.registered(national_code)
        except InvalidIdentifier as error:
            raise click.BadParameter(str(error.message)) from error
        for row in rows:
            click.echo(f"{row.national_code}\t{row.mobile}")


def register_cleanup(app):
    @app.cli.group("cleanup")
    def cleanup_group():
        """Remove what interrupted work left behind."""

    @cleanup_group.command("all")
    def all_command():
        """Run the nightly cleanup now (retention of SMS, codes, finished jobs, beats, throttles, drafts; orphan scans)."""
        from app.jobs import cleanup

        counts = cleanup.run_all()
        click.echo(", ".join(f"{name} {count if count >= 0 else 'failed'}" for name, count in counts.items()))
        if any(count < 0 for count in counts.values()):
            sys.exit(1)

    @cleanup_group.command("scans")
    @click.option("--hours", default=24, show_default=True, type=click.IntRange(min=1), help="Minimum age.")
    @click.option("--dry-run", is_flag=True, help="List what would be removed, without removing it.")
    def scans_command(hours, dry_run):
        """Remove uploaded scans that no request references (left by interrupted counter filings)."""
        from datetime import timedelta

        from app.counter.flow import CounterError, remove_orphan_scans

        try:
            result = remove_orphan_scans(timedelta(hours=hours), dry_run=dry_run)
        except CounterError as error:
            click.echo(error.message, err=True)
            sys.exit(2)
        for name in result.removed:
            click.echo(name)
        verb = "would remove" if dry_run else "removed"
        click.echo(f"{verb} {len(result.removed)} orphan scans ({result.bytes} bytes) older than {hours} hours")


def register_worker(app):
    @app.cli.command("worker")
    @click.option("--workers", "-w", default=2, show_default=True, type=click.IntRange(min=1), help="Worker threads.")
    @click.option(
        "--periodic/--no-periodic",
        default=True,
        show_default=True,
        help="Run the scheduler of periodic tasks (sweeper, heartbeat, nightly cleanup) in this worker too.",
    )
    def worker_command(workers, periodic):
        """Run the background worker (huey's consumer) in this app's context until Ctrl-C or SIGTERM."""
        import logging

        from app.jobs import queue

        if app.config["JOBS_IMMEDIATE"]:
            click.echo("JOBS_IMMEDIATE is on: tasks run in the web process, a worker has nothing to do", err=True)
            sys.exit(2)
        logging.getLogger("huey").setLevel(app.config["LOG_LEVEL"])
        if not logging.getLogger("huey").handlers:
            logging.getLogger("huey").addHandler(logging.getLogger("panjereh").handlers[0])
        storage = "redis" if app.config["REDIS_URL"] else app.config["JOBS_SQLITE_PATH"]
        click.echo(f"worker: {workers} threads, queue {storage}, periodic tasks {'on' if periodic else 'off'}")
        # flush_locks: a worker killed while holding the nightly lock must not keep it forever (SQLite storage has
        # no expiry); the nightly job's own claim in the database still keeps it to once a day.
        consumer = queue.huey.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=periodic,
            flush_locks=True,
            initial_delay=0.05,
            backoff=1.5,
            max_delay=0.5,
        )
        consumer.run()


def register_links(app):
    @app.cli.group("links")
    def links_group():
        """Daily link checks of cards' deep links and agencies' portal addresses."""

    @links_group.command("check")
    @click.argument("agency_code")
    def check_command(agency_code):
        """Check one agency's links now, one after another, and print each result."""
        from sqlalchemy import select

        from app.evaluation import links
        from app.extensions import db
        from app.models import Agency

        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            click.echo(f"no agency with code {agency_code}", err=True)
            sys.exit(2)
        done = links.check_agency(agency)
        for link, check in done:
            detail = check.error or (f"HTTP {check.status_code}" if check.status_code else "")
            click.echo(f"{link.state:8} {link.url} {detail}".rstrip())
        broken = sum(1 for link, _check in done if link.state == "broken")
        click.echo(f"checked {len(done)} links of {agency_code}: {broken} broken")


def register_inquiries(app):
    @app.cli.group("inquiries")
    def inquiries_group():
        """Inquiry types and the inquiries each card declares (app/inquiries/transfer.py)."""

    @inquiries_group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Check the file and report, without writing anything.")
    def import_command(path, dry_run):
        """Import inquiry types and cards' inquiries from a JSON file (all or nothing)."""
        import json

        from app.extensions import db
        from app.inquiries.transfer import ImportFailed, import_inquiries

        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            click.echo(f"cannot read {path}: {error}", err=True)
            sys.exit(2)
        try:
            outcome = import_inquiries(data, dry_run=dry_run)
        except ImportFailed as failed:
            db.session.rollback()
            for problem in failed.problems:
                click.echo(problem, err=True)
            click.echo(f"nothing imported: {len(failed.problems)} problems", err=True)
            sys.exit(1)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        verb = "would import" if dry_run else "imported"
        click.echo(
            f"{verb}: {outcome.types_created} new types, {outcome.types_updated} updated, "
            f"{len(outcome.cards)} cards' inquiries set"
        )

    @inquiries_group.command("export")
    def export_command():
        """Print every inquiry type and every card's inquiries as JSON (the import's shape)."""
        import json

        from app.inquiries.transfer import export_inquiries

        click.echo(json.dumps(export_inquiries(), ensure_ascii=False, indent=1))


def register_dashboard(app):
    @app.cli.group("dashboard")
    def dashboard_group():
        """The public dashboard's stored figures (app/evaluation/dashboard.py)."""

    @dashboard_group.command("refresh")
    def refresh_command():
        """Compute every scope's figures now (the nightly job does the same), and store them."""
        from app.evaluation import dashboard

        scopes = dashboard.store()
        db.session.commit()
        click.echo(f"dashboard figures computed for {scopes} scopes")

"""Flask commands: seed-demo (idempotent demo data and one account per role)."""
import click

from .extensions import db


def register(app):
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database holds no service yet.")
    def seed_demo(if_empty):
        """Load the demo catalogue, offices and one account per role; running it again changes nothing."""
        from .demo import load
        from .models import Service
        if if_empty and db.session.execute(db.select(Service.id).limit(1)).first():
            click.echo("database not empty: demo data not loaded")
            return
        created = load()
        db.session.commit()
        click.echo(f"demo data: {created} new rows" if created else "demo data already present")

"""Demo history for the daily link checks (app/evaluation/links.py): the last two weeks of checks of every card's
deep link and agency portal, as the link-check simulator answers them (no request leaves the machine), so cards
say when their link was last checked, the desk and /admin/links list the broken ones, and the link-health figures
of the scores have data on a fresh bin/serve. Idempotent: nothing when any link has been checked already."""

from datetime import timedelta

from sqlalchemy import select

from app.evaluation import links
from app.extensions import db
from app.models import LinkCheck, utcnow

DAYS = 14


def load() -> int:
    """Write the checks; returns the rows created (0 when checks exist already)."""
    if db.session.execute(select(LinkCheck.id).limit(1)).first():
        return 0
    found = links.sync()
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    created = 0
    for index, link in enumerate(found):
        outcome = links.simulated_probe(link.url)
        for day in range(DAYS, 0, -1):
            # Each link at its own hour of the day, as the daily schedule spreads them.
            links.record(link, outcome, now=now - timedelta(days=day, hours=index % 24))
            created += 1
    return created

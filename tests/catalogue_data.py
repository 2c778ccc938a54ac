"""Catalogue test data: the search-quality catalogue (not the demo data) and small card builders."""

import copy
import json
from pathlib import Path

from app.catalogue.transfer import Source, import_catalogue
from app.extensions import db

SEARCH_CATALOGUE = Path(__file__).with_name("data") / "search_catalogue.json"


def search_catalogue():
    return json.loads(SEARCH_CATALOGUE.read_text(encoding="utf-8"))


def load(data):
    """Import catalogue data (a list of service rows or the object format) and commit it."""
    summary = import_catalogue(Source.from_data(copy.deepcopy(data)))
    db.session.commit()
    return summary


def card(code, title, agency_code="9100", **fields):
    """One service row in the import format, with a default agency."""
    row = {"code": code, "title": title, "agency_code": agency_code, "agency_name": "سازمان آزمایشی"}
    row.update(fields)
    return row

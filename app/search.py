"""Catalogue search. The Foundation matches normalised words in titles; the catalogue work replaces the
matching with FTS5 / PostgreSQL full-text behind the same search_services() signature."""
from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import Service
from .persian import fold_digits, normalize, normalize_for_search

MAX_QUERY = 200
PAGE_SIZE = 20


@dataclass
class Results:
    items: list
    total: int
    page: int
    pages: int


def clean_query(raw):
    """Whatever arrives (control characters, RTL overrides, NUL, megabytes) becomes a short, plain query."""
    return normalize((raw or "")[: MAX_QUERY * 4])[:MAX_QUERY]


def search_services(query, page=1):
    words = normalize_for_search(query).split()
    if not words:
        return Results([], 0, 1, 0)
    code = fold_digits("".join(words))
    title = func.replace(Service.title, "\u200c", " ")
    matches = and_(*[title.contains(word, autoescape=True) for word in words])
    condition = (Service.code == code) | matches if code.isdigit() else matches
    base = db.select(Service).where(Service.is_active, Service.current_revision_id.is_not(None), condition)
    total = db.session.execute(db.select(func.count()).select_from(base.subquery())).scalar_one()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(page, pages)
    rows = db.session.execute(
        base.options(joinedload(Service.agency))
        .order_by((Service.code == code).desc(), Service.yearly_volume.desc(), Service.code)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).scalars().all()
    return Results(rows, total, page, pages)

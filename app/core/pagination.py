"""One page of a list query: the items, the total and where we are, for every paginated list."""

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db

PAGE_SIZE = 20


@dataclass
class Page:
    items: list
    total: int
    page: int
    pages: int


def paginate(query, page, size=PAGE_SIZE):
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    pages = max((total + size - 1) // size, 1)
    page = min(max(page, 1), pages)
    items = db.session.execute(query.limit(size).offset((page - 1) * size)).unique().scalars().all()
    return Page(items, total, page, pages)

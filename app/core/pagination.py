"""One page of a list query: the items, the total and where we are, for every paginated list; or, for long
lists read in a fixed order, one page after or before a position (keyset paging, no OFFSET)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_

from app.core.persian import parse_whole_number
from app.extensions import db

PAGE_SIZE = 20


@dataclass
class Page:
    items: list
    total: int
    page: int
    pages: int


# Far past any list's end, and small enough that page x size stays a 64-bit OFFSET on every database.
MAX_PAGE = 10**6


def page_number(value: object) -> int:
    """The page a `page` parameter asks for, from 1 to MAX_PAGE: digits in any script; anything else (none,
    words, a negative or absurd number) is page 1, or the last page we would ever count to."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        number: int | None = value
    else:
        number = parse_whole_number(str(value or "")[:20], max_digits=20)
    if number is None or number < 1:
        return 1
    return min(number, MAX_PAGE)


def paginate(query: Select, page: object, size: int = PAGE_SIZE) -> Page:
    """One page of `query`; `page` as it came (a query parameter's text or a number), clamped to the pages there
    are, so a page past the end shows the last one."""
    total = count(query)
    pages = page_count(total, size)
    number = min(page_number(page), pages)
    return Page(page_items(query, number, size), total, number, pages)


def count(query: Select) -> int:
    return db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max((total + size - 1) // size, 1)


def page_items(query: Select, number: int, size: int = PAGE_SIZE) -> list:
    """Page `number` (from 1, within the pages there are) of `query`."""
    return list(db.session.execute(query.limit(size).offset((number - 1) * size)).unique().scalars().all())


@dataclass
class KeysetPage:
    """One page of a list read in key order, and whether the list goes on before and after it."""

    items: list
    has_prev: bool
    has_next: bool


def keyset_page(
    query: Select,
    keys: Sequence[Any],
    after: Sequence | None = None,
    before: Sequence | None = None,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """The `size` rows of `query` that follow the position `after` (or, with `before`, that precede it; with
    neither, the first page) in ascending order of `keys`, mapped columns whose last is unique ((submitted_at,
    id)). A position is the keys' values of a row. The database seeks its index to the position instead of
    counting past OFFSET rows, so a late page costs what the first does, and a row added or removed meanwhile
    neither repeats a row nor skips one at the page boundary.
    """
    keys = list(keys)
    if before is not None:
        rows = _rows(query.where(_position(keys) < _values(keys, before)).order_by(*(k.desc() for k in keys)), size)
        if len(rows) < size:  # less than a page before it (rows left the list meanwhile): begin at the start
            return keyset_page(query, keys, size=size)
        items = rows[:size][::-1]
        return KeysetPage(items, has_prev=len(rows) > size, has_next=_any(query, keys, ">", items[-1]))
    if after is not None:
        query_after = query.where(_position(keys) > _values(keys, after))
    else:
        query_after = query
    rows = _rows(query_after.order_by(*keys), size)
    items = rows[:size]
    has_prev = after is not None and bool(items) and _any(query, keys, "<", items[0])
    if after is not None and not items:  # past the end (the last rows left the list): begin at the start
        return keyset_page(query, keys, size=size)
    return KeysetPage(items, has_prev=has_prev, has_next=len(rows) > size)


def _position(keys: Sequence[Any]) -> ColumnElement:
    return tuple_(*keys)


def _values(keys: Sequence[Any], values: Sequence) -> ColumnElement:
    # Typed like their columns, so a timestamp is compared in the form the database stores it in.
    return tuple_(*(literal(value, key.type) for key, value in zip(keys, values, strict=True)))


def _rows(query: Select, size: int) -> list:
    return list(db.session.execute(query.limit(size + 1)).unique().scalars().all())


def _any(query: Select, keys: Sequence[Any], direction: str, row: Any) -> bool:
    """Whether the list has a row before ("<") or after (">") the given one."""
    values = _values(keys, [getattr(row, key.key) for key in keys])
    condition = _position(keys) < values if direction == "<" else _position(keys) > values
    return bool(db.session.execute(select(query.where(condition).order_by(None).exists())).scalar())

"""The catalogue's search index: which text of a card is searchable in which field, how it is folded into
terms, and keeping the index (FTS5 on SQLite, tsvector on PostgreSQL) and its vocabulary in step with cards.

Every card is indexed in four fields, from strongest to weakest: title, keywords, meta (agency, parent
agency, clusters, life events, the provinces when not offered everywhere, code) and body (summary, audience,
conditions, documents, procedure). The English of each (title, keywords, summary, names) goes into the same
field as the Persian: a Persian query never matches an English term, so Persian search runs as before, and an
English word also stands as its Snowball stem ("passports" and "passport" meet at "passport").
Query and index go through the same words() so that they always agree.
"""

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

import snowballstemmer
from sqlalchemy import delete, select, text
from sqlalchemy.orm import joinedload, selectinload

from app.core.db import is_postgresql, upsert
from app.core.persian import PERSIAN_ALPHABET, normalize_for_search
from app.extensions import db
from app.models import Agency, Cluster, LifeEvent, Province, SearchTerm, Service, Setting

# Raise when words() or the fields change: `flask catalogue reindex` (and seed-demo) rebuild an index
# whose recorded version differs.
INDEX_VERSION = "2"
VERSION_KEY = "search_index_version"
FIELDS = ("title", "keywords", "meta", "body")
MAX_TERM = 64
BATCH = 500

# On top of persian.normalize_for_search: spellings people use interchangeably when typing. آ is often
# typed as ا, the hamza seat ئ as ی, and a trailing ء is dropped ("اجزاء" / "اجزا").
_SEARCH_FOLD = str.maketrans({"آ": "ا", "ئ": "ی", "ء": None, "ٔ": None})


def words(text: object) -> list[str]:
    """The search terms of a text: normalised, ZWNJ-split, punctuation-free, folded, lower-case."""
    return list(_words(text if isinstance(text, str) else str(text or "")))


@lru_cache(maxsize=50_000)
def _words(text: str) -> tuple[str, ...]:
    # Cards repeat the same agency, cluster and document names: indexing 10,000 of them folds each once.
    folded = normalize_for_search(text).translate(_SEARCH_FOLD)
    return tuple(word[:MAX_TERM] for word in folded.split())


# Marks a term made by joining neighbouring words. Tatweel never survives normalisation, so no real word starts
# with it, and a prefix query for a real word ("گواهی*") does not wade through every joined term too.
JOINED = "\u0640"


def joined(parts: Sequence[str]) -> list[str]:
    """Adjacent words written solid: "گواهی نامه" also yields "ـگواهینامه", "کسب و کار" also "ـکسبوکار"."""
    extra = []
    for size in (2, 3):
        for start in range(len(parts) - size + 1):
            extra.append((JOINED + "".join(parts[start : start + size]))[:MAX_TERM])
    return extra


_ENGLISH = snowballstemmer.stemmer("english")


@lru_cache(maxsize=50_000)
def english_stem(word: str) -> str | None:
    """The Snowball (Porter 2) stem of an English word when it differs from the word ("passports" -> "passport",
    "renewal" -> "renew"); None for any other word, Persian ones included, so they cost nothing here."""
    if not (word.isascii() and word.isalpha() and len(word) > 2):
        return None
    stem = _ENGLISH.stemWord(word)
    return stem if stem != word else None


def stems(parts: Sequence[str]) -> list[str]:
    """The stems of the English words among these terms (an indexed word also stands as its stem)."""
    return [stem for stem in map(english_stem, parts) if stem]


def field_terms(texts: Iterable[object]) -> list[str]:
    """Terms of one field: the words in order, then the (marked) solid forms of neighbouring words and the stems
    of English words.

    The extra forms come after all the words so that phrase positions of the real words stay intact.
    """
    plain: list[str] = []
    solid: list[str] = []
    for item in texts:
        parts = words(item)
        plain.extend(parts)
        solid.extend(joined(parts))
        solid.extend(stems(parts))
    return plain + solid


def document(service: Service) -> dict[str, list[str]]:
    """The four fields of a service's card, each as a list of terms."""
    card = service.current_revision
    if card is None:
        raise ValueError(f"service {service.code} has no published card to index")
    agency = service.agency
    # Each named row in both languages: a Persian and an English query both find the agency's or topic's cards.
    named: list[Agency | Cluster | LifeEvent | Province | None] = [agency, agency.parent] if agency is not None else []
    named += [*service.clusters, *service.life_events]
    if not service.offered_everywhere:
        # "پروانه ساختمانی تبریز": a place narrows the search only for the cards offered in some provinces.
        named += service.provinces
    meta = [name for row in named if row is not None for name in (row.name, row.name_en) if name]
    meta.append(service.code)
    body = [card.summary, card.summary_en, card.audience, *card.conditions, *card.documents, *card.procedure]
    return {
        "title": field_terms([card.title, card.title_en]),
        "keywords": field_terms([*(card.keywords or []), *(card.keywords_en or [])]),
        "meta": field_terms(meta),
        "body": field_terms(body),
    }


# pg_trgm only counts letters and digits of the database's locale, and a C-locale database has no Persian
# letters at all: the vocabulary's trigram key spells each Persian letter as one ASCII character instead.
_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz012345"
_KEY = str.maketrans(dict(zip(PERSIAN_ALPHABET, _KEY_CHARS, strict=True)))


def trigram_key(term: str) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else "9" for ch in term.translate(_KEY))


def _tsvector(terms):
    """A tsvector literal of bare lexemes, built here so that PostgreSQL's parser never splits Persian. Search
    asks only whether a field holds a term, never where in it, so positions would only make it bigger."""
    return " ".join(f"'{_quote(term)}'" for term in dict.fromkeys(terms))


def _tsvectors(doc):
    """The whole card (for the index) and the title, title + keywords, title + keywords + meta (for ranking)."""
    title, keywords, meta = doc["title"], doc["keywords"], doc["meta"]
    return {
        "document": _tsvector(title + keywords + meta + doc["body"]),
        "title": _tsvector(title),
        "title_keywords": _tsvector(title + keywords),
        "title_keywords_meta": _tsvector(title + keywords + meta),
    }


def _quote(term):
    return term.replace("\\", "\\\\").replace("'", "''")


def _services_with_cards(ids):
    query = (
        select(Service)
        .options(
            joinedload(Service.current_revision),
            joinedload(Service.agency).joinedload(Agency.parent),
            selectinload(Service.clusters),
            selectinload(Service.life_events),
            selectinload(Service.provinces),
        )
        .where(Service.id.in_(ids))
    )
    return db.session.execute(query).unique().scalars().all()


def index_services(services: Iterable[Service]) -> None:
    """Write (or rewrite) the index entries of these services; inactive or unpublished ones are removed.

    Runs inside the caller's transaction, so an import that fails leaves the index as it was.
    """
    services = list(services)
    if not services:
        return
    db.session.flush()
    ids = [s.id for s in services]
    remove_services(ids)
    live = [s for s in services if s.is_active and s.current_revision is not None]
    if not live:
        return
    docs = [(s, document(s)) for s in live]
    if is_postgresql():
        db.session.execute(
            # The card's volume and code too: a ranked search orders by them without reading service (0019).
            text(
                "INSERT INTO service_search (service_id, document, title, title_keywords, title_keywords_meta, "
                "yearly_volume, code) "
                "VALUES (:id, CAST(:document AS tsvector), CAST(:title AS tsvector), "
                "CAST(:title_keywords AS tsvector), CAST(:title_keywords_meta AS tsvector), :volume, :code)"
            ),
            [
                {"id": service.id, "volume": service.yearly_volume or 0, "code": service.code, **_tsvectors(doc)}
                for service, doc in docs
            ],
        )
    else:
        db.session.execute(
            text(
                "INSERT INTO service_search (rowid, title, keywords, meta, body) "
                "VALUES (:id, :title, :keywords, :meta, :body)"
            ),
            [{"id": service.id, **{field: " ".join(doc[field]) for field in FIELDS}} for service, doc in docs],
        )
    # The vocabulary holds the spellings people type: joined terms without their mark.
    _add_vocabulary({term.lstrip(JOINED) for _, doc in docs for field in FIELDS for term in doc[field]})


def remove_services(ids: Iterable[int]) -> None:
    ids = list(ids)
    if not ids:
        return
    if is_postgresql():
        db.session.execute(text("DELETE FROM service_search WHERE service_id = ANY(:ids)"), {"ids": ids})
    else:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            names = ", ".join(f":i{n}" for n in range(len(chunk)))
            db.session.execute(
                text(f"DELETE FROM service_search WHERE rowid IN ({names})"),
                {f"i{n}": value for n, value in enumerate(chunk)},
            )


def _add_vocabulary(terms):
    """Terms never leave the vocabulary: a stale one only proposes a correction that then matches nothing."""
    rows = [{"term": term, "key": trigram_key(term)} for term in sorted(terms) if term]
    if not rows:
        return
    statement = upsert(SearchTerm, ["term"])
    for start in range(0, len(rows), 5000):
        db.session.execute(statement, rows[start : start + 5000])


def index_agency_services(agency: Agency) -> None:
    """Re-index an agency's services (and those of its child agencies) after its name changed."""
    child_ids = select(Agency.id).where(Agency.parent_id == agency.id)
    ids = (
        db.session.execute(
            select(Service.id).where((Service.agency_id == agency.id) | Service.agency_id.in_(child_ids))
        )
        .scalars()
        .all()
    )
    reindex_ids(ids)


def reindex_ids(ids: Iterable[int]) -> None:
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        index_services(_services_with_cards(ids[start : start + BATCH]))


def rebuild(progress: Callable[[int], object] | None = None) -> int:
    """Empty the index and the vocabulary and index every published card again; returns how many."""
    db.session.execute(text("DELETE FROM service_search"))
    db.session.execute(delete(SearchTerm))
    ids = (
        db.session.execute(
            select(Service.id).where(Service.is_active, Service.current_revision_id.is_not(None)).order_by(Service.id)
        )
        .scalars()
        .all()
    )
    for start in range(0, len(ids), BATCH):
        chunk = _services_with_cards(ids[start : start + BATCH])
        index_services(chunk)
        if progress:
            progress(len(chunk))
    _set_version()
    return len(ids)


def _set_version():
    setting = db.session.get(Setting, VERSION_KEY)
    if setting is None:
        db.session.add(Setting(key=VERSION_KEY, value=INDEX_VERSION))
    else:
        setting.value = INDEX_VERSION


def is_current() -> bool:
    """Migration 0002 records version 1 on a database without cards; a rebuild records the current one."""
    setting = db.session.get(Setting, VERSION_KEY)
    return setting is not None and setting.value == INDEX_VERSION


def ensure_current() -> int | None:
    """Rebuild when the index was built by another version of words() (or before migration 0002)."""
    if is_current():
        return None
    return rebuild()

"""Persian-aware catalogue search: one query plan, run by FTS5 on SQLite and by tsvector/pg_trgm on PostgreSQL.

How a query is read (search_index.words() folds query and cards the same way):
- every word must match (a "clause"); a word matches itself, the solid form it makes with its neighbours
  (گواهی نامه -> گواهینامه), the synonyms of the phrase it belongs to, and as a prefix when it is the last
  word or long enough to carry a suffix;
- a word of five letters or more that no card contains is replaced by the indexed words one edit away;
  a word no card contains even then is left out and shown as such;
- a service code in any digit script puts that service first;
- ranking: all words in the title (whole words, then prefixes) > in title and keywords > with the agency,
  cluster or life event > anywhere; yearly volume breaks ties;
- if no card has every word, cards with most of them are shown, and a query that finds nothing is logged.
"""
import logging
from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import SearchMiss, SearchTerm, Service, Synonym, utcnow
from .persian import normalize
from .search_index import trigram_key, words

log = logging.getLogger("panjereh")

MAX_QUERY = 200
MAX_WORDS = 12
PAGE_SIZE = 20
TYPO_MIN_LENGTH = 5
PREFIX_MIN_LENGTH = 4  # words before the last: long enough that a prefix is a stem, not a different word
# Little words that carry no subject; they are kept only as the word being typed (the last).
STOPWORDS = frozenset("و در به از با برای که را یا تا این آن ها های ی بر هم".split())
_PERSIAN_ALPHABET = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_LATIN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

# Rank tiers, highest first: which fields must hold every clause, and whether prefixes count.
TIERS = ((6, ("title",), False), (5, ("title",), True), (4, ("title", "keywords"), True),
         (3, ("title", "keywords", "meta"), True))


@dataclass
class Results:
    items: list
    total: int
    page: int
    pages: int
    corrections: dict = field(default_factory=dict)  # word typed -> indexed word searched instead
    ignored: list = field(default_factory=list)       # words no card contains
    partial: bool = False                             # no card had every word; closest ones shown


@dataclass(frozen=True)
class Alternative:
    """One way to satisfy a clause: every term must occur; the last may be a prefix."""
    terms: tuple
    prefix: bool = False


@dataclass
class Clause:
    word: str
    alternatives: list


def clean_query(raw):
    """Whatever arrives (control characters, RTL overrides, NUL, megabytes) becomes a short, plain query."""
    return normalize((raw or "")[: MAX_QUERY * 4])[:MAX_QUERY]


# --- reading the query ----------------------------------------------------------------------------------

def _synonym_groups(query_words):
    """Synonym groups touching any 1-3 word span of the query, spaced or written solid."""
    spans = set()
    for size in (1, 2, 3):
        for start in range(len(query_words) - size + 1):
            part = query_words[start:start + size]
            spans.update({" ".join(part), "".join(part)})
    if not spans:
        return {}
    spans = sorted(spans)
    terms = select(Synonym.term).where(Synonym.term.in_(spans) | Synonym.synonym.in_(spans))
    groups = {}
    for term, synonym in db.session.execute(select(Synonym.term, Synonym.synonym).where(Synonym.term.in_(terms))):
        groups.setdefault(term, {term}).add(synonym)
    by_member = {}
    for members in groups.values():
        for member in members:
            by_member.setdefault(member, set()).update(members)
    return by_member


def plan(query):
    """The clauses of a query, the codes it names, and its words."""
    query_words = words(query)[:MAX_WORDS]
    codes = sorted({w for w in query_words if w.isdigit()} | ({"".join(query_words)} if "".join(query_words).isdigit() else set()))
    if not query_words:
        return [], codes, query_words
    last = len(query_words) - 1
    groups = _synonym_groups(query_words)
    clauses, covered = [], set()
    # Multi-word synonyms first ("کارت ملی" -> ...): the span becomes one clause.
    for size in (3, 2):
        for start in range(len(query_words) - size + 1):
            span = range(start, start + size)
            if covered & set(span):
                continue
            part = query_words[start:start + size]
            group = groups.get(" ".join(part)) or groups.get("".join(part))
            if group:
                covered.update(span)
                alternatives = [Alternative(tuple(part), prefix=start + size - 1 == last)]
                alternatives += _group_alternatives(group)
                clauses.append(Clause(" ".join(part), _unique(alternatives)))
    for i, word in enumerate(query_words):
        if i in covered:
            continue
        is_last = i == last
        if not is_last and (word in STOPWORDS or len(word) < 2):
            continue
        if is_last and len(word) < 2 and last > 0:
            continue  # a lone letter after other words is the start of a word not typed yet
        prefix = (is_last or len(word) >= PREFIX_MIN_LENGTH) and not word.isdigit()
        alternatives = [Alternative((word,), prefix)]
        for size in (2, 3):
            for start in range(max(0, i - size + 1), min(i, len(query_words) - size) + 1):
                solid = "".join(query_words[start:start + size])
                alternatives.append(Alternative((solid,), prefix=start + size - 1 == last and prefix))
        alternatives += _group_alternatives(groups.get(word, ()))
        clauses.append(Clause(word, _unique(alternatives)))
    return clauses, codes, query_words


def _group_alternatives(group):
    return [Alternative(tuple(words(member))) for member in sorted(group) if words(member)]


def _unique(alternatives):
    seen, result = set(), []
    for alternative in alternatives:
        if alternative.terms and alternative not in seen:
            seen.add(alternative)
            result.append(alternative)
    return result


# --- typo tolerance -------------------------------------------------------------------------------------

def within_one_edit(a, b):
    """Damerau-Levenshtein (optimal string alignment) distance of at most one."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def _edits(word):
    alphabet = _PERSIAN_ALPHABET if any(ch in _PERSIAN_ALPHABET for ch in word) else _LATIN_ALPHABET
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    found |= {a + c + b for a, b in splits for c in alphabet}
    found.discard(word)
    return found


def corrections_for(word):
    """Indexed words one edit away from a word no card contains, most common spelling first."""
    if len(word) < TYPO_MIN_LENGTH or word.isdigit():
        return []
    if _dialect() == "postgresql":
        # pg_trgm's index narrows the vocabulary to similar words; the edit distance then decides.
        db.session.execute(text("SELECT set_config('pg_trgm.similarity_threshold', '0.15', true)"))
        rows = db.session.execute(
            select(SearchTerm.term).where(SearchTerm.key.op("%")(trigram_key(word)),
                                          func.length(SearchTerm.term).between(len(word) - 1, len(word) + 1))
        ).scalars().all()
    else:
        candidates = sorted(_edits(word))
        rows = []
        for start in range(0, len(candidates), 900):
            rows += db.session.execute(select(SearchTerm.term)
                                       .where(SearchTerm.term.in_(candidates[start:start + 900]))).scalars().all()
    return sorted({term for term in rows if term != word and within_one_edit(word, term)})


# --- running it -----------------------------------------------------------------------------------------

def _dialect():
    return db.session.get_bind().dialect.name


class _Fts5:
    """SQLite: FTS5 query syntax over service_search(title, keywords, meta, body)."""
    id_column = "rowid"

    @staticmethod
    def term(term, prefix, fields):
        quoted = '"' + term.replace('"', '""') + '"'
        return quoted + " *" if prefix else quoted

    @staticmethod
    def both(parts):
        return "(" + " AND ".join(parts) + ")"

    @staticmethod
    def either(parts):
        return "(" + " OR ".join(parts) + ")"

    @staticmethod
    def restrict(expression, fields):
        return "{" + " ".join(fields) + "} : " + expression if fields else expression

    @staticmethod
    def predicate(param):
        return f"service_search MATCH :{param}"


class _TsQuery:
    """PostgreSQL: tsquery syntax; fields are the weights search_index gave them (title A ... body D)."""
    id_column = "service_id"

    @staticmethod
    def term(term, prefix, fields):
        weights = "".join({"title": "A", "keywords": "B", "meta": "C", "body": "D"}[f] for f in fields or ())
        marks = ("*" if prefix else "") + weights
        quoted = "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
        return f"{quoted}:{marks}" if marks else quoted

    @staticmethod
    def both(parts):
        return "(" + " & ".join(parts) + ")"

    @staticmethod
    def either(parts):
        return "(" + " | ".join(parts) + ")"

    @staticmethod
    def restrict(expression, fields):
        return expression  # already carried by each term's weights

    @staticmethod
    def predicate(param):
        return f"document @@ CAST(:{param} AS tsquery)"


def _syntax():
    return _TsQuery if _dialect() == "postgresql" else _Fts5


def _render_clause(syntax, clause, fields=None, prefixes=True):
    parts = []
    for alternative in clause.alternatives:
        last = len(alternative.terms) - 1
        terms = [syntax.term(term, prefixes and alternative.prefix and i == last, fields)
                 for i, term in enumerate(alternative.terms)]
        parts.append(terms[0] if len(terms) == 1 else syntax.both(terms))
    return syntax.either(parts)


def _render(syntax, clauses, fields=None, prefixes=True, join="both"):
    expression = getattr(syntax, join)([_render_clause(syntax, c, fields, prefixes) for c in clauses])
    return syntax.restrict(expression, fields)


class _Sql:
    """Collects bound parameters while the statement is written."""

    def __init__(self, syntax):
        self.syntax, self.params = syntax, {}

    def bind(self, value):
        name = f"p{len(self.params)}"
        self.params[name] = value
        return name

    def matching(self, expression):
        """`s.id IN (ids whose index entry matches)`: the same shape on both databases."""
        return (f"s.id IN (SELECT {self.syntax.id_column} FROM service_search "
                f"WHERE {self.syntax.predicate(self.bind(expression))})")


def _exists(syntax, expression):
    sql = _Sql(syntax)
    statement = f"SELECT 1 FROM service_search WHERE {syntax.predicate(sql.bind(expression))} LIMIT 1"
    return db.session.execute(text(statement), sql.params).first() is not None


def _ranked_ids(syntax, clauses, codes, page, relaxed):
    """One page of service ids in rank order, and how many services match in all."""
    sql = _Sql(syntax)
    live = "s.is_active = :live AND s.current_revision_id IS NOT NULL"
    sql.params["live"] = True
    code_params = ", ".join(":" + sql.bind(code) for code in codes)
    by_code = f"s.code IN ({code_params})" if codes else "1 = 0"
    found = sql.matching(_render(syntax, clauses, join="either" if relaxed else "both"))
    tiers = " ".join(f"WHEN {sql.matching(_render(syntax, clauses, fields, prefixes))} THEN {rank}"
                     for rank, fields, prefixes in TIERS)
    order = []
    if relaxed:
        hits = " + ".join(f"(CASE WHEN {sql.matching(_render(syntax, [c]))} THEN 1 ELSE 0 END)" for c in clauses)
        order.append(f"({hits}) DESC")
    order += [f"(CASE WHEN {by_code} THEN 1 ELSE 0 END) DESC", "tier DESC", "s.yearly_volume DESC", "s.code"]
    statement = (f"SELECT s.id, COUNT(*) OVER () AS total, CASE {tiers} ELSE 1 END AS tier FROM service s "
                 f"WHERE {live} AND ({found} OR {by_code}) ORDER BY {', '.join(order)} "
                 f"LIMIT :limit OFFSET :offset")
    sql.params.update(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    rows = db.session.execute(text(statement), sql.params).all()
    if not rows and page > 1:
        count = f"SELECT COUNT(*) FROM service s WHERE {live} AND ({found} OR {by_code})"
        return [], db.session.execute(text(count), sql.params).scalar_one()
    return [row.id for row in rows], (rows[0].total if rows else 0)


def _only_codes(codes, page):
    query = (select(Service.id, func.count().over().label("total"))
             .where(Service.is_active, Service.current_revision_id.is_not(None), Service.code.in_(codes))
             .order_by(Service.code).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    rows = db.session.execute(query).all()
    return [row.id for row in rows], (rows[0].total if rows else 0)


def _load(ids):
    if not ids:
        return []
    query = (select(Service).options(joinedload(Service.agency), joinedload(Service.current_revision))
             .where(Service.id.in_(ids)))
    by_id = {s.id: s for s in db.session.execute(query).unique().scalars()}
    return [by_id[i] for i in ids if i in by_id]


def search_services(query, page=1, record_miss=True):
    """A page of services for a query, best first. record_miss=False for as-you-type requests."""
    page = max(int(page or 1), 1)
    clauses, codes, query_words = plan(query)
    if not clauses and not codes:
        return Results([], 0, 1, 0)
    syntax = _syntax()
    corrections, ignored, relaxed = {}, [], False
    ids, total = _ranked_ids(syntax, clauses, codes, page, False) if clauses else _only_codes(codes, page)
    if not total and clauses:
        # Nothing has every word: fix or leave out words no card contains, then settle for most words.
        kept = []
        for clause in clauses:
            if _exists(syntax, _render(syntax, [clause])):
                kept.append(clause)
                continue
            fixes = corrections_for(clause.word) if " " not in clause.word else []
            if fixes:
                clause.alternatives = _unique(clause.alternatives + [Alternative((fix,)) for fix in fixes])
                corrections[clause.word] = fixes[0]
                kept.append(clause)
            else:
                ignored.append(clause.word)
        if kept:
            ids, total = _ranked_ids(syntax, kept, codes, page, False)
            if not total and len(kept) > 1:
                relaxed = True
                ids, total = _ranked_ids(syntax, kept, codes, page, True)
        elif codes:
            ids, total = _only_codes(codes, page)
    if not total and record_miss:
        record_search_miss(" ".join(query_words))
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return Results(_load(ids), total, min(page, pages), pages if total else 0, corrections, ignored, relaxed)


def record_search_miss(normalised):
    """Count a query that found nothing. Logging must never cost the visitor the page."""
    normalised = normalised[:200]
    if not normalised:
        return
    now = utcnow()
    insert = postgresql.insert if _dialect() == "postgresql" else sqlite.insert
    statement = insert(SearchMiss).values(query=normalised, count=1, first_seen=now, last_seen=now)
    statement = statement.on_conflict_do_update(
        index_elements=["query"], set_={"count": SearchMiss.count + 1, "last_seen": now})
    try:
        with db.session.begin_nested():
            db.session.execute(statement)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record a search miss", exc_info=True)

"""Persian-aware catalogue search: one query plan, run by FTS5 on SQLite and by tsvector/pg_trgm on PostgreSQL.

How a query is read (search_index.words() folds query and cards the same way):
- every word must match (a "clause"); a word matches itself, the solid form it makes with its neighbours
  (گواهی نامه -> گواهینامه) or that the card makes with its own neighbours, the synonyms of the phrase it belongs
  to, and as a prefix when it is the last word or long enough to carry a suffix;
- a word of five letters or more that no card contains is replaced by the indexed words one edit away;
  a word no card contains even then is left out and shown as such; question words ("چطور") are left out;
- a service code in any digit script puts that service first;
- an English word also matches its stem, as the index holds English words and their stems too ("passports");
- ranking: all words in the title (whole words, then prefixes) > in title and keywords > with the agency,
  cluster or life event > anywhere; yearly volume breaks ties;
- when few cards have every word, cards with all but one of them follow (rarer words and stronger fields
  first); a query that finds nothing is logged.
"""

import logging
import math
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from app.catalogue import version as catalogue_version
from app.catalogue.queries import ServiceLine, service_lines
from app.catalogue.search.index import JOINED, english_stem, trigram_key, words
from app.core.db import is_postgresql, upsert
from app.core.pagination import page_count
from app.core.persian import PERSIAN_ALPHABET, normalize
from app.extensions import db
from app.models import SearchMiss, SearchTerm, Service, Synonym, utcnow

log = logging.getLogger("panjereh")

MAX_QUERY = 200
MAX_WORDS = 12
PAGE_SIZE = 20
# Up to this many matches one statement ranks them all (one round trip); past it a page is read tier by tier.
RANK_IN_ONE_STATEMENT = 100
# Matches are counted up to this many; past it the page says "more than 1,000" (50 pages), as search engines do:
# counting all 14,293 cards with «صدور» at 100,000 cards visits every one of them, for a figure nobody pages through.
COUNT_CAP = 1000
# PostgreSQL, past this many matches: a tier's page is first looked for among the BUSIEST_WINDOW busiest cards (see
# _tiered_ids). Below it a tier holds at most this many cards, and its own index reads them in a millisecond or two.
BUSIEST_FIRST_PAST = COUNT_CAP
BUSIEST_WINDOW = 1000
# In a catalogue of more published cards than this, a query's whole words are counted before its prefixes (_matches).
WHOLE_WORDS_FIRST_PAST = 10 * COUNT_CAP
# Word frequencies (for near misses and for the spelling shown as "searched instead") are counted up to this many.
FREQUENCY_CAP = 2000
TYPO_MIN_LENGTH = 5
TRIGRAM_MIN_LENGTH = 8
PREFIX_MIN_LENGTH = 4  # words before the last: long enough that a prefix is a stem, not a different word
# Little words that carry no subject; a short one is kept only as the word being typed (the last).
STOPWORDS = frozenset(
    ["و", "در", "به", "از", "با", "برای", "که", "را", "یا", "تا", "این", "آن", "ها", "های", "ی", "بر", "هم"]
    + ["of", "the", "an", "and", "or", "to", "for", "in", "on", "my", "your", "with", "by", "at", "from"]
)
# How people phrase a question around the service they want ("چطور گواهینامه بگیرم"): never a subject.
FILLERS = frozenset(
    [
        "چگونه",
        "چطور",
        "چطوری",
        "نحوه",
        "روش",
        "طریقه",
        "راهنما",
        "راهنمای",
        "میخواهم",
        "خواهم",
        "میخوام",
        "می",
        "کجا",
        "چیست",
        "چه",
        "چی",
        "است",
        "هست",
        "باید",
        "گرفتن",
        "بگیرم",
        "کردن",
        "کنم",
        "شدن",
        "دادن",
        "بدهم",
        "لطفا",
        # English pages: "how do i get a passport".
        "how",
        "what",
        "where",
        "do",
        "does",
        "can",
        "want",
        "need",
        "get",
        "apply",
        "please",
    ]
)
_LATIN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
TITLE = ("title",)

# Rank tiers, highest first: which fields must hold every clause, and whether prefixes count.
TIERS = (
    (6, TITLE, False),
    (5, TITLE, True),
    (4, ("title", "keywords"), True),
    (3, ("title", "keywords", "meta"), True),
)
# For cards with only some of the words: where each word was found.
FIELD_STRENGTH = ((4, TITLE), (3, ("title", "keywords")), (2, ("title", "keywords", "meta")), (1, None))


@dataclass
class Results:
    items: list[ServiceLine]
    total: int
    page: int
    pages: int
    corrections: dict[str, str] = field(default_factory=dict)  # word typed -> indexed word searched instead
    ignored: list[str] = field(default_factory=list)  # words no card contains
    partial: bool = False  # some results lack a word of the query
    full: int = 0  # how many results have every word (they come first)
    more: bool = False  # more than COUNT_CAP matched: total is COUNT_CAP, and "more than" is shown
    first_partial: int | None = None  # index on this page where partial matches start


@dataclass(frozen=True)
class Alternative:
    """One way to satisfy a clause: every term must occur; the last may be a prefix."""

    terms: tuple[str, ...]
    prefix: bool = False


@dataclass
class Clause:
    word: str
    alternatives: list[Alternative]


def clean_query(raw: str | None) -> str:
    """Whatever arrives (control characters, RTL overrides, NUL, megabytes) becomes a short, plain query."""
    return normalize((raw or "")[: MAX_QUERY * 4])[:MAX_QUERY]


# --- reading the query ----------------------------------------------------------------------------------


def _synonym_groups(query_words):
    """Synonym groups touching any 1-3 word span of the query, keyed by the solid form of each member, so
    that spacing and ZWNJ do not matter ("توان‌خواهان", "توان خواهان" and "توانخواهان" are one key)."""
    solids = set()
    for size in (1, 2, 3):
        for start in range(len(query_words) - size + 1):
            solids.add("".join(query_words[start : start + size]))
    if not solids:
        return {}
    by_solid, groups = catalogue_version.per_version("synonym groups", _synonym_index)
    by_member = {}
    for term in set().union(*(by_solid.get(solid, ()) for solid in solids)):
        members = groups[term]
        for member in members:
            by_member.setdefault(member.replace(" ", ""), set()).update(members)
    return by_member


def _synonym_index() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every synonym row, read once per catalogue version: {solid form of a term or of one of its synonyms: the
    terms}, and {term: the term and its synonyms}. A search then finds its groups without a query."""
    by_solid: dict[str, set[str]] = {}
    groups: dict[str, set[str]] = {}
    with _usual_planner():  # a first read inside a search: the synonyms need a plain scan
        rows = db.session.execute(select(Synonym.term, Synonym.synonym)).all()
    for term, synonym in rows:
        groups.setdefault(term, {term}).add(synonym)
        for member in (term, synonym):
            by_solid.setdefault(member.replace(" ", ""), set()).add(term)
    return by_solid, groups


def _spellings(parts, prefix=False, last=False, phrase=False):
    """Ways a card may write these words: as they are, or written solid where the query spaced them; a single
    word may also be the solid form of words the card spaced (its joined, marked term). With phrase=True
    (a synonym: a fixed expression) several words must stand together, which the joined terms of two or
    three neighbouring words tell exactly."""
    parts = tuple(parts)
    solid = "".join(parts)
    if len(parts) == 1:
        found = [Alternative(parts, prefix)]
        if len(solid) > 1:
            # As a prefix the joined terms are costly to expand; only the word being typed needs it.
            found.append(Alternative((JOINED + solid,), prefix and last and len(solid) >= PREFIX_MIN_LENGTH))
        return found
    if phrase and len(parts) <= 3:
        return [Alternative((JOINED + solid,)), Alternative((solid,))]
    return [Alternative(parts, prefix), Alternative((solid,), prefix)]


def plan(query: str) -> tuple[list[Clause], list[str], list[str]]:
    """The clauses of a query, the codes it names, and its words."""
    query_words = words(query)[:MAX_WORDS]
    joined_digits = "".join(query_words)
    codes = sorted({w for w in query_words if w.isdigit()} | ({joined_digits} if joined_digits.isdigit() else set()))
    if not query_words:
        return [], codes, query_words
    last = len(query_words) - 1
    groups = _synonym_groups(query_words)
    clauses: list[Clause] = []
    covered: set[int] = set()
    # Multi-word synonyms first ("کارت ملی" -> ...): the span becomes one clause.
    for size in (3, 2):
        for start in range(len(query_words) - size + 1):
            span = range(start, start + size)
            if covered & set(span):
                continue
            part = query_words[start : start + size]
            group = groups.get("".join(part))
            if group:
                covered.update(span)
                alternatives = _spellings(part, start + size - 1 == last, start + size - 1 == last)
                alternatives += _group_alternatives(group)
                clauses.append(Clause(" ".join(part), _unique(alternatives)))
    for i, word in enumerate(query_words):
        if i in covered:
            continue
        is_last = i == last
        if word in FILLERS and len(query_words) > 1:
            continue
        if not is_last and (word in STOPWORDS or len(word) < 2):
            continue
        if is_last and len(word) < 2 and last > 0:
            continue  # a lone letter after other words is the start of a word not typed yet
        # A number is a prefix only as the last word (a code being typed); inside a query it is exact.
        prefix = is_last or (len(word) >= PREFIX_MIN_LENGTH and not word.isdigit())
        alternatives = _spellings([word], prefix, is_last)
        stem = english_stem(word)
        if stem:
            alternatives.append(Alternative((stem,), prefix and len(stem) >= PREFIX_MIN_LENGTH))
        # The card may write solid what the query spaced: "گواهی نامه" -> "گواهینامه".
        for size in (2, 3):
            for start in range(max(0, i - size + 1), min(i, len(query_words) - size) + 1):
                solid = "".join(query_words[start : start + size])
                alternatives.append(Alternative((solid,), prefix=start + size - 1 == last and prefix))
        alternatives += _group_alternatives(groups.get(word, ()))
        clauses.append(Clause(word, _unique(alternatives)))
    return clauses, codes, query_words


def _group_alternatives(group):
    found = []
    for member in sorted(group):
        parts = words(member)
        if parts:
            found += _spellings(parts, phrase=True)
    return found


def _unique(alternatives):
    seen, result = set(), []
    for alternative in alternatives:
        if alternative.terms and all(alternative.terms) and alternative not in seen:
            seen.add(alternative)
            result.append(alternative)
    return result


# --- typo tolerance -------------------------------------------------------------------------------------


def within_one_edit(a: str, b: str) -> bool:
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
    return a[i:] == b[i + 1 :]


def _edits(word):
    alphabet = PERSIAN_ALPHABET if any(ch in PERSIAN_ALPHABET for ch in word) else _LATIN_ALPHABET
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    found |= {a + c + b for a, b in splits for c in alphabet}
    found.discard(word)
    return found


def corrections_for(word: str) -> list[str]:
    """Indexed words one edit away from a word no card contains."""
    return _corrections([word])[word]


def _corrections(typed: Sequence[str]) -> dict[str, list[str]]:
    """corrections_for each of these words, the vocabulary asked once for all the short ones."""
    found: dict[str, list[str]] = {word: [] for word in typed}
    candidates: dict[str, set[str]] = {}  # word -> its one-edit spellings, looked up in the vocabulary
    for word in found:
        if len(word) < TYPO_MIN_LENGTH or word.isdigit():
            continue
        if is_postgresql() and len(word) >= TRIGRAM_MIN_LENGTH:
            found[word] = _similar_terms(word)
        else:
            candidates[word] = _edits(word)
    if candidates:
        indexed = _in_vocabulary(set().union(*candidates.values()))
        for word, spellings in candidates.items():
            found[word] = sorted(spellings & indexed)
    return {
        word: sorted({term for term in terms if term != word and within_one_edit(word, term)})
        for word, terms in found.items()
    }


def _in_vocabulary(terms: set[str]) -> set[str]:
    """Which of these terms the vocabulary holds (one statement on PostgreSQL)."""
    everyone = sorted(terms)
    if is_postgresql():
        # One array parameter: the btree index answers "= ANY" as it does IN, without hundreds of bound values.
        statement = text("SELECT term FROM search_term WHERE term = ANY(:words)")
        return set(db.session.execute(statement, {"words": everyone}).scalars())
    found: set[str] = set()
    for start in range(0, len(everyone), 900):  # SQLite's limit on bound values
        chunk = everyone[start : start + 900]
        found.update(db.session.execute(select(SearchTerm.term).where(SearchTerm.term.in_(chunk))).scalars())
    return found


def _similar_terms(word: str) -> list[str]:
    """PostgreSQL, a word of eight letters or more: pg_trgm's index narrows the vocabulary to similar words and the
    edit distance then decides. One edit leaves a word of n letters at least (n-4)/(n+4) trigram similarity to the
    right one, so this threshold loses no candidate. Below eight letters that bound is so low that the index would
    return a large share of the vocabulary, and the word's few one-edit spellings are cheaper to look up directly."""
    threshold = (len(word) - 4) / (len(word) + 4) - 0.03
    db.session.execute(
        text("SELECT set_config('pg_trgm.similarity_threshold', :value, true)"), {"value": f"{threshold:.3f}"}
    )
    statement = text("SELECT term FROM search_term WHERE key % :key AND length(term) BETWEEN :shortest AND :longest")
    parameters = {"key": trigram_key(word), "shortest": len(word) - 1, "longest": len(word) + 1}
    return list(db.session.execute(statement, parameters).scalars())


# --- the two query languages ------------------------------------------------------------------------------


class _Fts5:
    """SQLite: FTS5 query syntax over service_search(title, keywords, meta, body)."""

    id_column = "rowid"
    joins = ""
    fence = ""
    row_predicate = None  # FTS5 answers a MATCH for the whole table: ranks use `id IN (matches)`

    @staticmethod
    def term(term: str, prefix: bool, fields: tuple[str, ...] | None) -> str:
        quoted = '"' + term.replace('"', '""') + '"' + (" *" if prefix else "")
        return "{" + " ".join(fields) + "} : " + quoted if fields else quoted

    @staticmethod
    def both(parts: Sequence[str]) -> str:
        return "(" + " AND ".join(parts) + ")"

    @staticmethod
    def either(parts: Sequence[str]) -> str:
        return "(" + " OR ".join(parts) + ")"

    @staticmethod
    def predicate(param: str) -> str:
        return f"service_search MATCH :{param}"


class _TsQuery:
    """PostgreSQL: tsquery syntax. Fields are not in the query but in which tsvector it is tested against:
    service_search keeps the whole card (indexed) and the title, title + keywords and title + keywords + meta."""

    id_column = "service_id"
    joins = " LEFT JOIN service_search ss ON ss.service_id = s.id"
    # The ranks are worked out in the inner query (OFFSET 0 keeps the planner from moving them past the count):
    # otherwise every candidate's tsvectors ride through the window and spill to disk (at 100,000 cards, «صدور»
    # took 76 ms instead of 52).
    fence = " OFFSET 0"
    COLUMNS: dict[tuple[str, ...] | None, str] = {
        None: "document",
        TITLE: "title",
        ("title", "keywords"): "title_keywords",
        ("title", "keywords", "meta"): "title_keywords_meta",
    }

    @classmethod
    def row_predicate(cls, param: str, fields: tuple[str, ...] | None) -> str:
        # Ranks test each candidate's own small tsvector: cheaper than one more index scan per rank.
        return f"ss.{cls.COLUMNS[fields]} @@ CAST(:{param} AS tsquery)"

    @staticmethod
    def term(term: str, prefix: bool, fields: tuple[str, ...] | None) -> str:
        quoted = "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
        return quoted + ":*" if prefix else quoted

    @staticmethod
    def both(parts: Sequence[str]) -> str:
        return "(" + " & ".join(parts) + ")"

    @staticmethod
    def either(parts: Sequence[str]) -> str:
        return "(" + " | ".join(parts) + ")"

    @staticmethod
    def predicate(param: str) -> str:
        return f"document @@ CAST(:{param} AS tsquery)"


def _syntax():
    return _TsQuery if is_postgresql() else _Fts5


def _render_clause(syntax, clause, fields=None, prefixes=True):
    """One clause as an OR of its alternatives, or None when none of them can match in these fields."""
    parts = []
    for alternative in clause.alternatives:
        last = len(alternative.terms) - 1
        terms = [
            syntax.term(term, prefixes and alternative.prefix and i == last, fields)
            for i, term in enumerate(alternative.terms)
        ]
        parts.append(terms[0] if len(terms) == 1 else syntax.both(terms))
    return syntax.either(parts) if parts else None


def _render(syntax, clauses, fields=None, prefixes=True, join="both"):
    """All clauses (join="both") or any (join="either"); None when that cannot match anything."""
    parts = [_render_clause(syntax, clause, fields, prefixes) for clause in clauses]
    if not parts:
        return None
    if join == "both":
        return None if None in parts else getattr(syntax, join)(parts)
    parts = [part for part in parts if part is not None]
    return getattr(syntax, join)(parts) if parts else None


def _render_most(syntax, clauses):
    """Cards with all words but one (any one word for a two-word query): the near misses worth showing."""
    if len(clauses) <= 2:
        return _render(syntax, clauses, join="either")
    groups = [_render(syntax, list(group)) for group in combinations(clauses, len(clauses) - 1)]
    groups = [group for group in groups if group is not None]
    return syntax.either(groups) if groups else None


class _Sql:
    """Collects bound parameters while the statement is written."""

    def __init__(self, syntax):
        self.syntax, self.params = syntax, {}

    def bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return name

    def matching(self, expression: str | None) -> str:
        """`s.id IN (ids whose index entry matches)`, for databases that cannot test one row (FTS5)."""
        if expression is None:
            return "1 = 0"
        return (
            f"s.id IN (SELECT {self.syntax.id_column} FROM service_search "
            f"WHERE {self.syntax.predicate(self.bind(expression))})"
        )

    def ranking(self, expression: str | None, fields: tuple[str, ...] | None = None) -> str:
        """Whether a candidate matches in these fields, for ordering: per row where the database can."""
        if expression is None or self.syntax.row_predicate is None:
            return self.matching(expression)
        return self.syntax.row_predicate(self.bind(expression), fields)


def _found(syntax, clauses):
    """Whether some card has each clause's word (one statement for them all)."""
    sql = _Sql(syntax)
    tests = [
        f"EXISTS (SELECT 1 FROM service_search WHERE {syntax.predicate(sql.bind(expression))})"
        if expression is not None
        else "1 = 0"
        for expression in (_render(syntax, [clause]) for clause in clauses)
    ]
    return [bool(found) for found in db.session.execute(text("SELECT " + ", ".join(tests)), sql.params).one()]


# --- running it -----------------------------------------------------------------------------------------


def _capped_count_sql(syntax, sql, expression, cap):
    """A subquery counting the index entries that match, reading no more than cap of them."""
    return (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM service_search WHERE {syntax.predicate(sql.bind(expression))} "
        f"LIMIT :{sql.bind(cap)}) AS hits)"
    )


def _frequencies(syntax, clauses):
    """How many cards have each clause's word, up to FREQUENCY_CAP: past a few thousand cards a word tells little,
    and counting further costs time.

    A word's frequency is a figure of the catalogue, as the number of its cards is: only an import or a published
    card changes it. So it is kept per catalogue version, and the words not known yet are counted in one statement
    (at 10,000 cards the three words of «مالیات ملک تهران» read 3,000 index entries: 2 ms)."""
    rendered = [_render(syntax, [clause]) for clause in clauses]
    names = [f"frequency:{expression}" for expression in rendered]  # one per clause, the same word twice included
    expressions = dict(zip(names, rendered))

    def count(missing):
        sql = _Sql(syntax)
        counts = ", ".join(_capped_count_sql(syntax, sql, expressions[name], FREQUENCY_CAP) for name in missing)
        return list(db.session.execute(text(f"SELECT {counts}"), sql.params).one())

    return catalogue_version.per_version_many(names, count)


def _weights(syntax, clauses):
    """How telling each word is (inverse document frequency): a rare word counts more than a common one."""
    frequencies = _frequencies(syntax, clauses)
    # Counting the published cards reads all of them: once per catalogue version, not once per search.
    documents = catalogue_version.per_version("published cards", _published_cards)
    return [round(math.log((max(documents, 1) + 1) / (frequency + 0.5)) + 0.1, 4) for frequency in frequencies]


def _published_cards() -> int:
    return db.session.execute(
        select(func.count()).select_from(Service).where(Service.is_active, Service.current_revision_id.is_not(None))
    ).scalar_one()


_LIVE = "s.is_active = :live AND s.current_revision_id IS NOT NULL"


def _count(syntax, expression):
    """How many cards match, up to COUNT_CAP + 1. The index holds an entry for each published card and for nothing
    else (index_services writes and removes them with the card, a deleted service takes its entry with it): the
    matches are counted there alone."""
    sql = _Sql(syntax)
    statement = "SELECT " + _capped_count_sql(syntax, sql, expression, COUNT_CAP + 1)
    return db.session.execute(text(statement), sql.params).scalar_one()


def _count_and_list(syntax, expression):
    """_count, and on PostgreSQL which cards match when fewer than a page do (None otherwise): the near misses that
    then follow are ranked knowing which cards have every word, without testing each candidate for them."""
    if syntax.row_predicate is None:
        return _count(syntax, expression), None
    sql = _Sql(syntax)
    statement = (
        f"SELECT COUNT(*), CASE WHEN COUNT(*) < :few THEN array_agg(service_id) END FROM (SELECT service_id "
        f"FROM service_search WHERE {syntax.predicate(sql.bind(expression))} LIMIT :cap) AS hits"
    )
    counted, ids = db.session.execute(text(statement), {**sql.params, "few": PAGE_SIZE, "cap": COUNT_CAP + 1}).one()
    return counted, ((ids or []) if counted < PAGE_SIZE else None)


def _matches(syntax, clauses):
    """How many cards have every word, up to COUNT_CAP + 1, and which ones when fewer than a page (_count_and_list).

    The cards with the whole words are among those with the words as prefixes: when they alone pass the cap, so
    do all. They are counted first, as an index finds a word as a prefix at twice the cost of the word itself and
    more (at 100,000 cards the three prefixes of «گواهی نامه رانندگی» took 30 ms, its three words 5)."""
    expression = _render(syntax, clauses)
    if expression is None:
        return 0, []
    whole_words = _render(syntax, clauses, prefixes=False)
    # Up to ten times the cap in published cards the two counts cost what the prefixes' count alone does (at 10,000
    # cards «گواهی نامه رانندگی» 1.7 + 3.3 ms, «صدور» wins as much as the others lose); past it the prefixes cost
    # more and more.
    many = catalogue_version.per_version("published cards", _published_cards) > WHOLE_WORDS_FIRST_PAST
    if many and whole_words is not None and whole_words != expression:
        counted = _count(syntax, whole_words)
        if counted > COUNT_CAP:
            return counted, None
    return _count_and_list(syntax, expression)


def _tiered_ids(syntax, clauses, page, total):
    """One page of the cards with every word, in rank order, read tier by tier.

    The tiers nest: a card with every word in its title has them in title and keywords too, and so on down to
    anywhere on the card. So the best tier's page is read first, each next tier without the cards of the one
    above, and reading stops when the page is full. A common word's first page then sorts its title matches
    only, and never works out the rank of every card that mentions it (at 100,000 cards «گواهی نامه رانندگی»
    matches 9,496 cards and fills its page from 202).

    On PostgreSQL each tier is read through the GIN index of its own tsvector (title, title and keywords, ...). And
    a tier's page is first looked for among the BUSIEST_WINDOW busiest cards, walking the index entries in the order
    pages are shown (yearly volume, then code: a total order) and testing each one's small tsvector: when the page
    is found there it is exact, as every card outside the window comes after every card in it. A common word's
    title tier (14,293 cards for «صدور» at 100,000) is then never read whole. The window is tried past
    BUSIEST_FIRST_PAST matches (total, counted up to COUNT_CAP + 1) only: a smaller tier is cheaper to read whole.
    """
    sql = _Sql(syntax)
    sql.params["live"] = True
    tests_rows = syntax.row_predicate is not None  # PostgreSQL
    windowed = tests_rows and total > BUSIEST_FIRST_PAST
    if tests_rows:
        card, source, live = "ss", "service_search ss WHERE", ""
    else:
        # FTS5 answers a whole MATCH at once: a tier is `id IN (its matches)`, read without the whole query's.
        card, source, live = "s", "service s WHERE", f" AND {_LIVE}"
    card_id = "s.id" if card == "s" else "ss.service_id"
    order = f"ORDER BY {card}.yearly_volume DESC, {card}.code LIMIT :limit OFFSET :offset"
    ids: list[int] = []
    offset = (page - 1) * PAGE_SIZE
    above = None  # the tiers above: their cards are already placed, or on earlier pages
    for _rank, fields, prefixes in (*TIERS, (1, None, True)):
        expression = _render(syntax, clauses, fields, prefixes)
        if windowed and not prefixes and expression != _render(syntax, clauses, fields) and not _all_indexed(clauses):
            # A word being typed («گذر» on the way to «گذرنامه»): no card has it whole, and walking the busiest cards
            # for a tier that is empty would read all of them (1 to 2 ms at 10,000 cards).
            continue
        tier = sql.ranking(expression, fields)
        if above is None:
            where = tier
        elif page == 1:
            # On the first page every card of the tiers above is on it already: leaving out those ids is cheaper
            # than asking the index for the tier above again.
            where = f"{tier} AND {card_id} NOT IN ({', '.join(':' + sql.bind(i) for i in ids)})" if ids else tier
        else:
            where = f"{tier} AND NOT {above}"
        above = tier
        page_params = {**sql.params, "limit": PAGE_SIZE - len(ids), "offset": offset}
        rows = None
        if windowed:
            busiest = (
                "SELECT ss.service_id AS id FROM (SELECT * FROM service_search ORDER BY yearly_volume DESC, code "
                f"LIMIT :window) AS ss WHERE {where} {order}"
            )
            rows = db.session.execute(text(busiest), {**page_params, "window": BUSIEST_WINDOW}).all()
            if len(rows) < page_params["limit"]:
                rows = None  # the tier's page reaches past the busiest cards: the whole tier decides
        if rows is None:
            statement = f"SELECT {card_id} AS id FROM {source} {where}{live} {order}"
            rows = db.session.execute(text(statement), page_params).all()
        if rows:
            ids += [row.id for row in rows]
            offset = 0
        elif offset:
            # The page starts below this tier: how many cards it holds moves the offset on.
            counted_tier = f"SELECT COUNT(*) FROM {source} {where}{live}"
            offset -= db.session.execute(text(counted_tier), sql.params).scalar_one()
        if len(ids) == PAGE_SIZE:
            break
    return ids


def _all_indexed(clauses):
    """Whether every clause has a spelling whose words are all in the vocabulary (which holds every term a card has
    had): only then can some card have every word whole."""
    known = _in_vocabulary(
        {term.lstrip(JOINED) for clause in clauses for option in clause.alternatives for term in option.terms}
    )
    return all(
        any(all(term.lstrip(JOINED) in known for term in option.terms) for option in clause.alternatives)
        for clause in clauses
    )


def _ranked_ids(syntax, clauses, codes, page, weights=None, full_ids=None):
    """One page of service ids in rank order, how many match in all, how many of those have every word, and which
    ones have every word when that is known to be fewer than a page (else None).

    Without weights only cards with every word are returned. With weights (one per clause) cards with some of
    the words follow them, those whose rarer words sit in stronger fields first; full_ids, when given, are the cards
    with every word.
    """
    if weights is None and not codes:
        total, listed = _matches(syntax, clauses)
        if not total:
            return [], 0, 0, listed
        if _near_misses_follow(clauses, total):
            return [], total, total, listed  # _search ranks them with the near misses, in one statement
        if total > RANK_IN_ONE_STATEMENT:
            return _tiered_ids(syntax, clauses, page, total), total, total, None
    sql = _Sql(syntax)
    expression = _render(syntax, clauses) if weights is None else _render_most(syntax, clauses)
    match = syntax.predicate(sql.bind(expression)) if expression is not None else None
    code_params = ", ".join(":" + sql.bind(code) for code in codes)
    if syntax.row_predicate is not None and match and not codes:
        # PostgreSQL, no code named: the index scan hands over each candidate's row, tsvectors, volume and code and
        # all. The index holds published cards only: no service row is read.
        row, source = (
            "ss.service_id AS id, ss.code AS code, ss.yearly_volume AS volume",
            f"service_search ss WHERE ss.{match}",
        )
    else:
        # Start from the candidates the index found and the services named by code.
        parts = [f"SELECT {syntax.id_column} AS id FROM service_search WHERE {match}"] if match else []
        if codes:
            parts.append(f"SELECT id FROM service WHERE code IN ({code_params})")
        if not parts:
            return [], 0, 0, None
        row = "s.id AS id, s.code AS code, s.yearly_volume AS volume"
        source = f"({' UNION '.join(parts)}) AS c JOIN service s ON s.id = c.id{syntax.joins} WHERE {_LIVE}"
    by_code = f"s.code IN ({code_params})" if codes else "1 = 0"
    tiers = " ".join(
        f"WHEN {sql.ranking(_render(syntax, clauses, fields, prefixes), fields)} THEN {rank}"
        for rank, fields, prefixes in TIERS
    )
    order = [f"(CASE WHEN {by_code} THEN 1 ELSE 0 END) DESC"]
    complete, score = "1", "0"
    if weights is None:
        order.append("tier DESC")
    else:
        if full_ids is not None and syntax.row_predicate is not None:
            # PostgreSQL: testing a candidate's whole-card tsvector costs some 4 µs (it is stored compressed).
            has_all = f"ss.service_id = ANY(:{sql.bind(list(full_ids))})"
        else:
            has_all = sql.ranking(_render(syntax, clauses))
        complete = f"CASE WHEN {has_all} THEN 1 ELSE 0 END"
        scores = []
        *named, (_, anywhere) = FIELD_STRENGTH  # title, keywords, meta; then the whole card
        by_meta = syntax.row_predicate is not None and not codes
        in_meta = [sql.ranking(_render(syntax, [c], named[-1][1]), named[-1][1]) for c in clauses] if by_meta else []
        for i, (clause, weight) in enumerate(zip(clauses, weights)):
            cases = [
                f"WHEN {sql.ranking(_render(syntax, [clause], fields), fields)} THEN {rank}" for rank, fields in named
            ]
            if by_meta:
                # PostgreSQL tests each candidate's own tsvectors, and the whole card's is the costly one (see
                # has_all). A word not in title, keywords or meta is elsewhere on the card (1) or missing (0). A card
                # with every word has it; a near miss lacks exactly one word, so when all the others are in those
                # fields it is this one. Only otherwise is the whole card tested: the small tsvectors tell most cards.
                # (FTS5 answers each test for the whole table at once, and more tests would be more statements.)
                others = " AND ".join(in_meta[:i] + in_meta[i + 1 :]) or "1 = 0"
                cases.append(f"WHEN {has_all} THEN 1 WHEN {others} THEN 0")
            cases.append(f"WHEN {sql.ranking(_render(syntax, [clause], anywhere), anywhere)} THEN 1")
            scores.append(f"(CASE {' '.join(cases)} ELSE 0 END) * :{sql.bind(weight)}")
        score = " + ".join(scores)
        order += ["complete DESC", "(CASE WHEN complete = 1 THEN tier ELSE 0 END) DESC", "score DESC"]
    order += ["s.volume DESC", "s.code"]
    # The inner query finds the candidates and computes their ranks; the outer one orders and counts them.
    inner = (
        f"SELECT {row}, {complete} AS complete, CASE {tiers} ELSE 1 END AS tier, {score} AS score "
        f"FROM {source}{syntax.fence}"
    )
    sql.params["live"] = True
    statement = (
        f"SELECT id, COUNT(*) OVER () AS total, SUM(complete) OVER () AS full_total FROM ({inner}) AS s "
        f"ORDER BY {', '.join(order)} LIMIT :limit OFFSET :offset"
    )
    sql.params.update(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    rows = db.session.execute(text(statement), sql.params).all()
    if rows:
        return [row.id for row in rows], rows[0].total, int(rows[0].full_total or 0), None
    if page == 1:
        return [], 0, 0, None
    counted = f"SELECT COUNT(*), SUM(complete) FROM ({inner}) AS s"
    total, complete_total = db.session.execute(text(counted), sql.params).one()
    return [], total, int(complete_total or 0), None


def _repair(syntax, clauses):
    """Replace words no card contains by indexed words one edit away, or leave them out."""
    kept, corrections, ignored = [], {}, []
    # A single word that found nothing is known to be in no card: no need to ask the index again.
    found = _found(syntax, clauses) if len(clauses) > 1 else [False]
    missing = [clause for clause, present in zip(clauses, found) if not present]
    fixed = _corrections([clause.word for clause in missing if " " not in clause.word])
    for clause, present in zip(clauses, found):
        if present:
            kept.append(clause)
            continue
        fixes = fixed.get(clause.word, [])
        if not fixes:
            ignored.append(clause.word)
            continue
        # The spelling most cards use is the one to show as "searched instead".
        if len(fixes) > 1:
            frequency = dict(zip(fixes, _frequencies(syntax, [Clause(fix, _spellings([fix])) for fix in fixes])))
            fixes.sort(key=lambda fix: -frequency[fix])
        groups = _synonym_groups(fixes)
        alternatives = []
        for fix in fixes:
            alternatives += _spellings([fix]) + _group_alternatives(groups.get(fix, ()))
        clause.alternatives = _unique(clause.alternatives + alternatives)
        corrections[clause.word] = fixes[0]
        kept.append(clause)
    return kept, corrections, ignored


# PostgreSQL over-rates its GIN indexes' cost for tsqueries with prefixes (and for trigram similarity) and rather
# reads every row (tens of milliseconds at 10,000 cards, against about one through the index), or walks a whole
# primary key to feed a merge join; a parallel worker costs more to start than these queries take; and a plan
# cached for a statement psycopg has prepared cannot see how selective this query's words are. So, for these
# statements only (see _through_the_indexes):
_PLANNER = {
    "enable_seqscan": "off",
    "enable_indexscan": "off",
    "max_parallel_workers_per_gather": "0",
    "plan_cache_mode": "force_custom_plan",
    # A plan with index scans turned off costs some 10^10 where it still needs one (walking the busiest cards):
    # past jit_above_cost PostgreSQL would then compile it, 76 ms for a statement that runs in 2.
    "jit": "off",
}
_SET = "SELECT " + ", ".join(f"set_config('{name}', :{name}, true)" for name in _PLANNER)
# Read the settings in force and set the search's in one round trip: the materialised CTE is read before the outer
# select sets anything.
_SAVE_AND_SET = (
    "WITH saved AS MATERIALIZED (SELECT "
    + ", ".join(f"current_setting('{name}') AS s{n}" for n, name in enumerate(_PLANNER))
    + ") SELECT "
    + ", ".join(f"s{n}" for n in range(len(_PLANNER)))
    + ", "
    + _SET.removeprefix("SELECT ")
    + " FROM saved"
)


@contextmanager
def _through_the_indexes():
    """While searching, PostgreSQL plans with the settings above (restored afterwards, for the rest of the
    transaction); other databases need nothing."""
    if not is_postgresql():
        yield
        return
    saved = dict(zip(_PLANNER, db.session.execute(text(_SAVE_AND_SET), _PLANNER).one()))
    db.session.info["planner_saved"] = saved
    try:
        yield
    finally:
        db.session.info.pop("planner_saved", None)
        try:
            db.session.execute(text(_SET), saved)
        except SQLAlchemyError:
            pass  # the transaction failed: its rollback resets the settings anyway


@contextmanager
def _usual_planner():
    """Back to the usual settings for a query outside the search tables (the synonyms need a plain scan)."""
    saved = db.session.info.get("planner_saved")
    if saved is None:
        yield
        return
    db.session.execute(text(_SET), saved)
    try:
        yield
    finally:
        db.session.execute(text(_SET), _PLANNER)


def search_services(query: str, page: int | None = 1, record_miss: bool = True) -> Results:
    """A page of services for a query, best first. record_miss=False for as-you-type requests."""
    page = max(int(page or 1), 1)
    clauses, codes, query_words = plan(query)
    if not clauses and not codes:
        return Results([], 0, 1, 0)
    try:
        with _through_the_indexes():
            found = _search(clauses, codes, page)
    except SQLAlchemyError:
        # Every term is quoted for the index's query language, so this is not expected; if some input still
        # trips it, the visitor gets an empty result page and the log gets the query, never a 500 page.
        db.session.rollback()
        log.warning("search failed for %r", query, exc_info=True)
        return Results([], 0, 1, 0)
    if not found.total and record_miss:
        record_search_miss(" ".join(query_words))
    return found


def _by_initial(letter, page):
    """One letter typed: services with a title word starting with it, busiest first. Through the full-text
    index this would expand to most of its terms; a scan of the titles is cheaper and finds the same. Every search
    typed as you go starts with one letter, and the answer depends on the catalogue only: the first page of each
    letter is kept per catalogue version (a few dozen letters, twenty ids each)."""
    if page == 1 and (letter in PERSIAN_ALPHABET or letter.isascii()):
        ids, total = catalogue_version.per_version(f"initial:{letter}", lambda: _initial_page(letter, 1))
    else:
        ids, total = _initial_page(letter, page)
    pages = page_count(total, PAGE_SIZE)
    return Results(service_lines(ids), total, min(page, pages), pages if total else 0, full=total)


def _initial_page(letter, page):
    initials = {letter, "آ"} if letter == "ا" else {letter}
    patterns = [p for ch in sorted(initials) for p in (f"{ch}%", f"% {ch}%", f"%\u200c{ch}%")]
    titles = [Service.title.like(p) for p in patterns]
    if letter.isascii():
        # English titles; a Persian letter never looks at them, so a Persian query's statement stays as it was.
        titles += [func.lower(Service.title_en).like(p) for p in (f"{letter}%", f"% {letter}%")]
    query = (
        select(Service.id, func.count().over().label("total"))
        .where(Service.is_active, Service.current_revision_id.is_not(None), or_(*titles))
        .order_by(Service.yearly_volume.desc(), Service.code)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = db.session.execute(query).all()
    return [row.id for row in rows], rows[0].total if rows else 0


def _near_misses_follow(clauses, full):
    """Few cards have every word: the cards with most of them (rarest first) follow, so that one word the card
    happens not to use ("سفر حج", "تمدید پاسپورت") does not hide it."""
    return len(clauses) > 1 and full < PAGE_SIZE


def _search(clauses, codes, page):
    if len(clauses) == 1 and len(clauses[0].word) == 1 and not codes:
        return _by_initial(clauses[0].word, page)
    syntax = _syntax()
    corrections, ignored = {}, []
    page = min(page, page_count(COUNT_CAP, PAGE_SIZE))  # past the counted matches there are no pages
    ids, total, full, full_ids = _ranked_ids(syntax, clauses, codes, page)
    if not total and clauses:
        clauses, corrections, ignored = _repair(syntax, clauses)
        ids, total, full, full_ids = _ranked_ids(syntax, clauses, codes, page)
    if _near_misses_follow(clauses, full):
        ids, total, full, _ = _ranked_ids(syntax, clauses, codes, page, _weights(syntax, clauses), full_ids)
    more = total > COUNT_CAP
    total, full = min(total, COUNT_CAP), min(full, COUNT_CAP)
    pages = page_count(total, PAGE_SIZE)
    page = min(page, pages)
    first_partial = full - (page - 1) * PAGE_SIZE if full < total else None
    if first_partial is not None and not 0 <= first_partial < PAGE_SIZE:
        first_partial = None
    return Results(
        service_lines(ids),
        total,
        page,
        pages if total else 0,
        corrections,
        ignored,
        full < total,
        full,
        more=more,
        first_partial=first_partial,
    )


def record_search_miss(normalised: str) -> None:
    """Count a query that found nothing. Logging must never cost the visitor the page."""
    normalised = normalised[:200]
    if not normalised:
        return
    now = utcnow()
    statement = upsert(
        SearchMiss,
        ["query"],
        {"query": normalised, "count": 1, "first_seen": now, "last_seen": now},
        set_={"count": SearchMiss.count + 1, "last_seen": now},
    )
    try:
        with db.session.begin_nested():
            db.session.execute(statement)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record a search miss", exc_info=True)

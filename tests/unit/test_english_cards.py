"""A card's English (title, summary, keywords): imported and exported losslessly, a new revision when it changes,
in the card history, and indexed with English stems while Persian words are indexed and searched as before."""

import csv

import pytest

from app.catalogue.queries import history, service_by_code
from app.catalogue.search import index as search_index
from app.catalogue.search.query import plan
from app.catalogue.transfer import ImportFailed, Source, export_data, export_path, import_catalogue, read_path
from app.extensions import db
from tests.catalogue_data import card, load

ENGLISH = {
    "title_en": "Passport issue and renewal",
    "summary_en": "Issue or renew an ordinary passport.",
    "keywords_en": ["travel document", "e-passport | biometric"],
}


def _rows():
    return [
        card("9100001", "صدور گذرنامهٔ عادی", **ENGLISH),
        card("9100002", "پیگیری وضعیت گذرنامه"),  # Persian only
    ]


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_english_fields_survive_export_and_import(ctx, tmp_path, suffix):
    load(_rows())
    first, second = tmp_path / ("first" + suffix), tmp_path / ("second" + suffix)
    assert export_path(first) == 2
    summary = import_catalogue(read_path(first))
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 2)
    export_path(second)
    assert first.read_bytes() == second.read_bytes()
    by_code = {row["code"]: row for row in read_path(first).services}
    assert {name: by_code["9100001"][name] for name in ENGLISH} == ENGLISH
    assert (by_code["9100002"]["title_en"], by_code["9100002"]["summary_en"]) == ("", "")


def test_csv_export_has_english_columns(ctx, tmp_path):
    load(_rows())
    path = tmp_path / "out.csv"
    export_path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["title_en"] == "Passport issue and renewal"
    assert row["keywords_en"] == "travel document|e-passport \\| biometric"


def test_export_data_carries_the_english(ctx):
    load(_rows())
    row = next(r for r in export_data()["services"] if r["code"] == "9100001")
    assert (row["title_en"], row["summary_en"], row["keywords_en"]) == (
        "Passport issue and renewal",
        "Issue or renew an ordinary passport.",
        ["travel document", "e-passport | biometric"],
    )


def test_a_new_english_title_is_a_new_revision_in_the_history(ctx):
    load(_rows())
    changed = _rows()
    changed[0]["title_en"] = "Ordinary passport"
    summary = load(changed)
    assert (summary.updated, summary.unchanged) == (1, 1)
    service = service_by_code("9100001")
    assert service.title_en == "Ordinary passport" and service.current_revision.number == 2
    (_latest, changes), _first = history(service)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("title_en", "Passport issue and renewal", "Ordinary passport")
    ]


def test_an_english_title_over_300_characters_is_refused(ctx):
    with pytest.raises(ImportFailed) as failed:
        import_catalogue(Source.from_data([card("9100003", "عنوان", title_en="x" * 301)]))
    assert [(e.row, e.field) for e in failed.value.errors] == [(1, "title_en")]


# --- the index -----------------------------------------------------------------------------------------


def test_english_words_are_indexed_with_their_stems_in_the_same_fields(ctx):
    load(_rows())
    doc = search_index.document(service_by_code("9100001"))
    assert {"passport", "issue", "renewal", "renew"} <= set(doc["title"])
    assert {"travel", "document", "biometric"} <= set(doc["keywords"])
    assert {"ordinary", "ordinari"} <= set(doc["body"])
    # The agency has no English name here; the Persian fields are all still there.
    assert {"صدور", "گذرنامه"} <= set(doc["title"])


def test_english_stem_is_for_english_words_only():
    assert search_index.english_stem("passports") == "passport"
    assert search_index.english_stem("renewal") == "renew"
    assert search_index.english_stem("passport") is None  # already its own stem
    for word in ("گذرنامه", "گواهینامه", "10030001", "id"):
        assert search_index.english_stem(word) is None


def test_persian_query_plan_gains_nothing_from_english(ctx):
    clauses, _codes, _words = plan("تمدید گذرنامه")
    terms = {term for clause in clauses for alternative in clause.alternatives for term in alternative.terms}
    assert all(not term.isascii() for term in terms), terms


def test_english_query_matches_the_stem_of_a_plural(ctx):
    clauses, _codes, _words = plan("how do i renew passports")
    assert [clause.word for clause in clauses] == ["renew", "passports"]  # question words left out
    passports = clauses[1].alternatives
    assert ("passport",) in [alternative.terms for alternative in passports]

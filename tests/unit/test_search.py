"""Catalogue search over a catalogue that is not the demo data, with queries that are not in it verbatim.

The same expectations hold on SQLite (FTS5) and PostgreSQL (tsvector + pg_trgm): run with --db postgresql.
"""

import pytest
from sqlalchemy import delete, func, select, text

from app.catalogue import version as catalogue_version
from app.catalogue.search import index as search_index
from app.catalogue.search.query import clean_query, corrections_for, plan, search_services, within_one_edit
from app.catalogue.transfer import Source, import_catalogue
from app.core.db import is_postgresql
from app.extensions import db
from app.models import SearchMiss, SearchTerm, Service
from tests.catalogue_data import card, load, search_catalogue


@pytest.fixture
def catalogue(ctx):
    load(search_catalogue())


def codes(query, **kwargs):
    return [s.code for s in search_services(clean_query(query), **kwargs).items]


# --- normalisation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["ماليات بر ارث", "مالیات بر ارث", "مَالیاتِ بر ارث", "مالیات\u200cبر\u200cارث"])
def test_arabic_letters_diacritics_and_zwnj_in_the_query(catalogue, query):
    assert codes(query)[0] == "21005001"


def test_arabic_kaf_and_yeh_find_persian_titles(catalogue):
    assert codes("كارت بازرگاني")[:2] == ["27001002", "27001001"]  # both titles; the busier one first


@pytest.mark.parametrize("query", ["گواهی‌نامه پایان تحصیلات", "گواهی نامه پایان تحصیلات", "گواهینامه پایان تحصیلات"])
def test_compound_written_solid_in_the_card_matches_every_spelling(catalogue, query):
    assert codes(query)[0] == "26001002"  # the card says «گواهینامهٔ»


@pytest.mark.parametrize("query", ["گواهینامه فنی", "گواهی نامه فنی", "گواهی‌نامه فنی", "گواهی‌نامه‌های فنی"])
def test_compound_written_with_zwnj_in_the_card_matches_every_spelling(catalogue, query):
    assert codes(query)[0] == "26001003"  # the card says «گواهی‌نامه‌های»


@pytest.mark.parametrize("query", ["کسب و کار", "کسبوکار", "کسب‌وکار کوچک", "کسب وکار"])
def test_three_part_compound(catalogue, query):
    assert codes(query)[0] == "27001003"  # «کسب‌وکارهای کوچک»


@pytest.mark.parametrize("query", ["اموزش و پرورش", "آموزش و پرورش", "آموزش‌وپرورش"])
def test_alef_madda_is_optional_and_agency_names_are_searchable(catalogue, query):
    assert set(codes(query)) >= {"26001001", "26001002", "26001003"}


def test_agency_name_finds_its_services(catalogue):
    assert set(codes("بهزیستی")) == {"24001001", "24001002"}


# --- codes, prefixes, typos, synonyms -----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["21005003", "۲۱۰۰۵۰۰۳", "٢١٠٠٥٠٠٣", " ۲۱۰۰-۵۰۰۳ ", "کد ۲۱۰۰۵۰۰۳"])
def test_service_code_in_any_digit_script_comes_first(catalogue, query):
    assert codes(query)[0] == "21005003"


def test_partial_code_lists_the_services_it_starts(catalogue):
    assert set(codes("۲۵۰۰۱")) == {"25001001", "25001002"}


@pytest.mark.parametrize("typed", ["پی", "پیش", "پیش د", "پیش‌دب", "پیش دبستا"])
def test_what_has_been_typed_so_far_matches(catalogue, typed):
    assert "26001001" in codes(typed)[:3]


def test_prefix_of_a_long_word(catalogue):
    assert set(codes("بازنش")) >= {"25001001", "25001002"}
    assert codes("ترخی")[0] == "23001001"


@pytest.mark.parametrize(
    "query,expected",
    [
        ("مالیت بر ارث", "21005001"),  # a letter missing
        ("بازنشستکی", "25001001"),  # one letter wrong (ک for گ)
        ("ترخیس خودرو", "23001001"),  # a homophone (س for ص)
        ("بازرگنای", "27001002"),  # two letters swapped
        ("معلولیتت", "24001001"),  # one letter too many
    ],
)
def test_one_wrong_letter_in_a_long_word_still_finds_it(catalogue, query, expected):
    results = search_services(query)
    assert results.items and results.items[0].code == expected
    assert results.corrections


def test_every_misspelt_word_of_a_query_is_corrected_and_a_word_no_card_has_is_left_out(catalogue):
    # Two words one letter off, one word right and one no card has: the vocabulary is asked for both at once.
    results = search_services("کارتت بازرگنای ژاپنی")
    assert results.items[0].code == "27001002"
    assert results.corrections == {"کارتت": "کارت", "بازرگنای": "بازرگانی"}
    assert results.ignored == ["ژاپنی"]


def test_no_correction_when_the_word_exists(catalogue):
    results = search_services("کارت")
    assert results.corrections == {} and results.total >= 3


def test_typo_candidates_come_from_the_index(catalogue):
    assert corrections_for("گمرکک") == ["گمرک"]
    assert corrections_for("xyzxyz") == []


@pytest.mark.parametrize(
    "query,expected",
    [("جواز ساختمان", "22001001"), ("ترخیص ماشین", "23001001"), ("اتومبیل", "23001001"), ("توانخواهان", "24001001")],
)
def test_synonyms_from_the_imported_table(catalogue, query, expected):
    assert codes(query)[0] == expected


def test_one_letter_finds_a_card_imported_after_the_letter_was_last_searched(catalogue):
    # The first page of each letter is kept per catalogue version: a busier card imported meanwhile leads it.
    before = search_services("ژ")
    load([card("9977", "ژتون سوخت کشاورزی", yearly_volume=10**9)])
    after = search_services("ژ")
    assert after.items[0].code == "9977" and after.total == before.total + 1


def test_a_synonym_imported_after_a_search_applies_to_the_next_one(catalogue):
    # The synonym groups are read once per catalogue version: an import of synonyms is a new version.
    assert codes("بندرگاه") == []
    load({"synonyms": {"گمرک": ["بندرگاه"]}})
    assert codes("بندرگاه") == codes("گمرک") != []


def test_words_no_card_contains_are_left_out_and_reported(catalogue):
    results = search_services("ترخیص خودرو ژاپنی")
    assert results.items[0].code == "23001001"
    assert results.ignored == ["ژاپنی"]


def test_when_no_card_has_every_word_the_closest_are_shown(catalogue):
    results = search_services("کارت معلولیت بازرگانی")
    assert results.partial
    assert {"24001001", "27001001"} <= {s.code for s in results.items}


# --- ranking ---------------------------------------------------------------------------------------------


def test_title_ranks_above_keywords_above_body_and_volume_breaks_ties(ctx):
    load(
        [
            card("9001", "پرورش زعفران در گلخانه", yearly_volume=10),
            card("9002", "صادرات محصولات کشاورزی", keywords=["زعفران"], yearly_volume=1000),
            card("9003", "صدور مجوز بسته‌بندی", summary="برای بسته‌بندی زعفران و پسته.", yearly_volume=100000),
            card("9004", "خرید تضمینی زعفران", yearly_volume=500),
            card("9005", "بیمهٔ محصولات زعفرانی", yearly_volume=900),
        ]
    )
    assert codes("زعفران") == ["9004", "9001", "9005", "9002", "9003"]


def test_agency_and_cluster_rank_between_keywords_and_body(ctx):
    load(
        [
            card("9101", "صدور پروانه", agency_code="9200", agency_name="سازمان شیلات", yearly_volume=5),
            card("9102", "مجوز صید", keywords=["شیلات"], yearly_volume=1),
            card("9103", "ثبت قایق", summary="با هماهنگی شیلات.", yearly_volume=100),
        ]
    )
    assert codes("شیلات") == ["9102", "9101", "9103"]


def test_cards_with_every_word_come_first_then_those_missing_the_commonest(ctx):
    # «مجوز» is on seven cards, «صید» on four, «ماهی» on three: a near miss without «مجوز» misses less than one
    # without «ماهی», whatever their volumes, and «ماهی» elsewhere on a card counts for more than «صید» there. After an
    # import that makes «ماهی» the commonest word, both orders turn.
    load(
        [
            card("9301", "صدور مجوز صید ماهی", yearly_volume=1),
            card("9302", "تمدید مجوز صید", yearly_volume=1000),
            card("9303", "صید ماهی در رودخانه", yearly_volume=10),
            card("9304", "ثبت مجوز قایق", summary="برای صید در دریا", yearly_volume=600),
            card("9306", "تعویض مجوز لنج", summary="حمل ماهی", yearly_volume=300),
            *[card(f"931{n}", f"مجوز نصب تابلوی شمارهٔ {n}", yearly_volume=5) for n in range(3)],
        ]
    )
    results = search_services("مجوز صید ماهی")
    assert [s.code for s in results.items] == ["9301", "9303", "9302", "9306", "9304"]
    assert (results.full, results.total, results.first_partial, results.partial) == (1, 5, 1, True)
    load([card(f"932{n}", f"پرورش ماهی گرمابی شمارهٔ {n}", yearly_volume=5) for n in range(5)])
    assert codes("مجوز صید ماهی") == ["9301", "9302", "9303", "9304", "9306"]


def test_whole_word_in_title_ranks_above_a_prefix_in_title(ctx):
    load([card("9201", "صدور کارتابل", yearly_volume=1000), card("9202", "صدور کارت", yearly_volume=1)])
    assert codes("کارت") == ["9202", "9201"]


def test_results_are_paginated(ctx):
    load([card(f"93{n:02d}", f"خدمت نمونهٔ شمارهٔ {n}", yearly_volume=n) for n in range(45)])
    first, third = search_services("نمونه", page=1), search_services("نمونه", page=3)
    assert first.total == 45 and first.pages == 3 and len(first.items) == 20
    assert [s.code for s in third.items] == [f"93{n:02d}" for n in range(4, -1, -1)]
    assert search_services("نمونه", page=99).page == 3


def test_past_the_counted_matches_the_page_says_more_than_and_pages_stop_there(ctx, monkeypatch):
    monkeypatch.setattr("app.catalogue.search.query.COUNT_CAP", 30)
    load([card(f"93{n:02d}", f"خدمت نمونهٔ شمارهٔ {n}", yearly_volume=n) for n in range(45)])
    first = search_services("نمونه")
    assert (first.more, first.total, first.pages) == (True, 30, 2)
    last = search_services("نمونه", page=9)
    assert last.page == 2 and [s.code for s in last.items] == [f"93{n:02d}" for n in range(24, 4, -1)]


@pytest.mark.parametrize(("whole", "prefixed", "shown"), [(25, 0, (False, 25)), (20, 20, (True, 30))])
def test_matches_are_counted_with_the_word_as_typed_and_as_a_prefix(ctx, monkeypatch, whole, prefixed, shown):
    # «نمونه» finds «نمونه» and, as the word being typed, «نمونه‌گیری» written solid: both count against the cap.
    monkeypatch.setattr("app.catalogue.search.query.COUNT_CAP", 30)
    monkeypatch.setattr("app.catalogue.search.query.WHOLE_WORDS_FIRST_PAST", 30)
    cards = [card(f"94{n:02d}", f"خدمت نمونه شمارهٔ {n}") for n in range(whole)]
    cards += [card(f"95{n:02d}", f"خدمت نمونهگیری شمارهٔ {n}") for n in range(prefixed)]
    load(cards)
    found = search_services("نمونه")
    assert (found.more, found.total) == shown


@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 20])
@pytest.mark.parametrize("rank_in_one_statement", [0, 1000], ids=["tier by tier", "all at once"])
@pytest.mark.parametrize("busiest_window", [None, 1, 3, 1000], ids=["no window", "1", "3", "1000"])
@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("زعفران", ["9602", "9601", "9603", "9604", "9605", "9606", "9607", "9608"]),
        # A word being typed: no card has it whole, and the title prefixes lead.
        ("زعفرا", ["9603", "9602", "9601", "9604", "9605", "9606", "9607", "9608"]),
    ],
    ids=["whole word", "word being typed"],
)
def test_pages_follow_one_ranking_across_the_tiers(
    ctx, monkeypatch, page_size, rank_in_one_statement, busiest_window, query, order
):
    # Many matches are read tier by tier, few ranked in one statement; whatever the page size, the run of pages is
    # the one order: title, title prefix, keywords, agency, anywhere, and the busier card first within each. On
    # PostgreSQL a tier's page may first be looked for among the busiest cards: in a window of one or three cards it
    # is found there for some pages and not for others, in a window of a thousand the window is the whole catalogue.
    monkeypatch.setattr("app.catalogue.search.query.PAGE_SIZE", page_size)
    monkeypatch.setattr("app.catalogue.search.query.RANK_IN_ONE_STATEMENT", rank_in_one_statement)
    if busiest_window is not None:
        monkeypatch.setattr("app.catalogue.search.query.BUSIEST_FIRST_PAST", 0)
        monkeypatch.setattr("app.catalogue.search.query.BUSIEST_WINDOW", busiest_window)
    load(
        [
            card("9601", "خرید زعفران", yearly_volume=5),
            card("9602", "کشت زعفران", yearly_volume=50),
            card("9603", "بیمهٔ زعفرانی", yearly_volume=1000),
            card("9604", "صادرات محصول", keywords=["زعفران"], yearly_volume=2000),
            card("9605", "انبار محصول", keywords=["زعفران"], yearly_volume=3),
            card("9606", "ثبت محصول", agency_code="9700", agency_name="ادارهٔ زعفران", yearly_volume=9999),
            card("9607", "بسته‌بندی محصول", summary="برای زعفران و پسته.", yearly_volume=100000),
            card("9608", "حمل محصول", summary="حمل زعفران.", yearly_volume=7),
        ]
    )
    pages = -(-len(order) // page_size)
    seen = []
    for page in range(1, pages + 1):
        results = search_services(query, page=page)
        assert (results.total, results.pages, results.page) == (8, pages, page)
        seen += [s.code for s in results.items]
    assert seen == order
    beyond = search_services(query, page=pages + 5)
    assert beyond.total == 8 and beyond.page == pages


@pytest.mark.parametrize("rank_in_one_statement", [0, 1000], ids=["tier by tier", "all at once"])
def test_a_republished_cards_new_yearly_volume_reorders_the_results(ctx, monkeypatch, rank_in_one_statement):
    # On PostgreSQL the index entry carries the volume it is ordered by: a new revision's volume must reach it.
    monkeypatch.setattr("app.catalogue.search.query.RANK_IN_ONE_STATEMENT", rank_in_one_statement)
    load(
        [
            card("9801", "صدور مجوز پرورش قارچ", yearly_volume=10),
            card("9802", "تمدید مجوز پرورش قارچ", yearly_volume=20),
        ]
    )
    assert codes("قارچ") == ["9802", "9801"]
    load([card("9801", "صدور مجوز پرورش قارچ", yearly_volume=30)])
    assert codes("قارچ") == ["9801", "9802"]


# --- misses, strange input, keeping the index in step ---------------------------------------------------------


def test_queries_without_results_are_logged_normalised_and_counted(catalogue):
    assert search_services("هواپيما").total == 0
    assert search_services("هواپیما ").total == 0
    miss = db.session.execute(select(SearchMiss)).scalar_one()
    assert (miss.query, miss.count) == ("هواپیما", 2)
    assert miss.last_seen >= miss.first_seen


def test_as_you_type_misses_are_not_logged(catalogue):
    search_services("هواپیم", record_miss=False)
    assert db.session.execute(select(SearchMiss)).first() is None


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        "\u202e\u0000\u0007",
        "ب" * 5000,
        "%%%___",
        'AND OR NOT "*:^',
        "{title} : x",
        "NEAR(a b)",
        "' | & ! <-> :*",
        "\\",
        "a:*A & b",
        "'",
        '"',
        "()",
        "*",
        "-",
        "1" * 400,
        "گذرنامه" * 100,
        "\ufdfd\ufeff\u200d\u200c",
        "😀 🇮🇷",
        "SELECT * FROM service; --",
    ],
)
def test_strange_input_is_a_normal_search(catalogue, query):
    results = search_services(clean_query(query))
    assert results.total >= 0


def test_plan_keeps_the_last_word_as_a_prefix_and_drops_inner_stopwords(ctx):
    clauses, query_codes, _words = plan("گواهی عدم سوء پیشینه برای سفر")
    assert [c.word for c in clauses] == ["گواهی", "عدم", "سو", "پیشینه", "سفر"]
    assert clauses[-1].alternatives[0].prefix and query_codes == []


def test_changed_card_is_searched_by_its_new_text_only(ctx):
    load([card("9401", "صدور مجوز ماهیگیری")])
    assert codes("ماهیگیری") == ["9401"]
    load([card("9401", "صدور مجوز شکار")])
    assert codes("ماهیگیری") == [] and codes("شکار") == ["9401"]


def test_renamed_agency_is_searched_by_its_new_name(ctx):
    load([card("9501", "ثبت شرکت", agency_code="9600", agency_name="ادارهٔ ثبت شرکت‌ها")])
    load({"agencies": [{"code": "9600", "name": "مرجع ثبت اشخاص حقوقی"}], "services": []})
    assert codes("اشخاص حقوقی") == ["9501"]


def test_deleted_or_inactive_services_leave_the_results(ctx):
    load([card("9701", "صدور مجوز زنبورداری"), card("9702", "تمدید مجوز زنبورداری")])
    service = db.session.execute(select(Service).filter_by(code="9701")).scalar_one()
    service.is_active = False
    search_index.index_services([service])
    db.session.execute(delete(Service).where(Service.code == "9702"))
    db.session.commit()
    assert codes("زنبورداری") == []
    assert search_services("زنبورداری").total == 0  # nor are they counted


def test_rebuild_indexes_every_published_card_again(catalogue):
    db.session.execute(delete(SearchTerm))
    db.session.commit()
    assert search_index.rebuild() == 17
    db.session.commit()
    assert search_index.is_current()
    assert codes("بازنشستکی")[0] == "25001001"  # the vocabulary is back too


@pytest.mark.parametrize(
    "a,b,expected",
    [
        ("گذرنامه", "گذرنامه", True),
        ("گذرنامه", "گزرنامه", True),
        ("گذرنامه", "گذنامه", True),
        ("گذرنامه", "گذرنامهه", True),
        ("گذرنامه", "گذرناهم", True),
        ("گذرنامه", "گزرنانه", False),
        ("abc", "acb", True),
        ("abcd", "badc", False),
        ("", "a", True),
        ("ab", "", False),
    ],
)
def test_within_one_edit(a, b, expected):
    assert within_one_edit(a, b) is expected
    assert within_one_edit(b, a) is expected


def test_a_province_narrows_to_cards_offered_only_there(ctx):
    load(
        [
            card("9801", "صدور مجوز صید", provinces=["گیلان"], yearly_volume=1),
            card("9802", "صدور مجوز صید تفریحی", yearly_volume=1000),
        ]
    )
    assert codes("مجوز صید گیلان") == ["9801", "9802"]  # the second follows as a near miss


def test_one_letter_lists_titles_with_a_word_starting_with_it(catalogue):
    # «تحصیلات» (700 k a year), «ترخیص» (60 k), «تمدید» (45 k): a word, not just the title, starts with it.
    assert codes("ت") == ["26001002", "23001001", "27001002"]


def test_a_search_leaves_the_transactions_planner_settings_as_it_found_them(catalogue):
    # On PostgreSQL the search plans with its own settings (enable_seqscan off …) and must hand the rest of the
    # request's transaction back its own: a later query planned without sequential scans could take seconds.
    postgresql = is_postgresql()
    setting = text("SELECT current_setting('enable_seqscan'), current_setting('plan_cache_mode')")
    if postgresql:
        db.session.execute(text("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"))
    # A query found as typed, and one whose misspelt word is repaired (the typo path has its own statements).
    assert codes("کارت بازرگانی")[:2] == ["27001002", "27001001"]
    assert codes("کارت بازرگنی")[:2] == ["27001002", "27001001"]
    if postgresql:
        assert db.session.execute(setting).one() == ("on", "force_generic_plan")


def test_a_figure_kept_per_catalogue_version_is_counted_again_after_an_import(catalogue):
    # Multi-word searches weigh words by how many published cards there are: kept per catalogue version, so no
    # search counts them all again, and an import (a new version) is counted afresh.
    calls = []

    def count():
        calls.append(1)
        return db.session.execute(select(func.count()).select_from(Service)).scalar_one()

    first = catalogue_version.per_version("cards in this test", count)
    assert catalogue_version.per_version("cards in this test", count) == first
    assert len(calls) == 1
    load([card("9901", "صدور مجوز آزمایشی", yearly_volume=1)])
    assert catalogue_version.per_version("cards in this test", count) == first + 1
    assert len(calls) == 2


def test_the_figures_kept_per_catalogue_version_are_bounded_and_the_least_used_go_first(ctx, monkeypatch):
    # One entry per card (its related services) must not grow a process without end: past the bound, the figure
    # asked for longest ago is computed again when next asked; a figure in use stays.
    monkeypatch.setattr(catalogue_version, "PER_VERSION_ENTRIES", 2)
    calls = []

    def figure(name):
        return lambda: calls.append(name) or name

    for name in ("first card", "second card", "first card", "third card", "first card", "second card"):
        assert catalogue_version.per_version(name, figure(name)) == name
    assert calls == ["first card", "second card", "third card", "second card"]


def test_a_figure_seen_inside_an_uncommitted_catalogue_change_is_never_kept(catalogue):
    # An import in progress sees its own cards; were that count kept, the version everyone else reads would show a
    # card that the rollback below takes back.
    def count():
        return db.session.execute(select(func.count()).select_from(Service)).scalar_one()

    before = catalogue_version.per_version("cards in this test", count)
    import_catalogue(Source.from_data([card("9902", "صدور مجوز آزمایشی دوم", yearly_volume=1)]))
    assert catalogue_version.per_version("cards in this test", count) == before + 1
    db.session.rollback()
    assert catalogue_version.per_version("cards in this test", count) == before

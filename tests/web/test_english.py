"""English pages (issue 12 item 11): English names of agencies, clusters, life events and provinces where the
database has them, the card's English title and summary, English search ("passport"), and Persian-only text
marked lang="fa" dir="rtl" inside an English page."""

import re

import pytest

from app.catalogue.queries import publish_revision
from app.extensions import db
from app.models import ServiceRevision
from tests import factories as f


def english(client):
    client.set_cookie("lang", "en")
    return client


def html(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def main(page):
    return page.split('<main id="main"', 1)[1]


def result_codes(page):
    """Service codes of the result list, in order."""
    return re.findall(r'class="service-title" href="/services/(\d+)"', page)


# --- names in English --------------------------------------------------------------------------------------


def test_english_home_shows_life_events_clusters_and_the_province_in_english(seeded, client):
    client.set_cookie("place", "23")  # Tehran
    page = main(html(english(client), "/"))
    for name in ("Birth of a child", "Travelling abroad", "Identity and civil status", "Transport and driving"):
        assert name in page
    assert "Tehran" in page
    for persian in ("تولد فرزند", "سفر خارجی", "هویت و احوال شخصیه", "تهران"):
        assert persian not in page


def test_persian_home_keeps_the_persian_names(seeded, client):
    client.set_cookie("place", "23")
    page = main(html(client, "/"))
    assert "تولد فرزند" in page and "هویت و احوال شخصیه" in page and "تهران" in page
    assert "Birth of a child" not in page and "Tehran" not in page


def test_english_agencies_page_names_agencies_in_english_alphabetically(seeded, client):
    page = main(html(english(client), "/agencies"))
    assert "Immigration and Passport Police" in page and "پلیس مهاجرت و گذرنامه" not in page
    names = re.findall(r'<th scope="row"><a href="/agencies/[^"]+">([^<]+)</a>', page)
    assert names == sorted(names, key=str.casefold) and len(names) > 50


def test_english_agency_life_event_and_cluster_pages_have_english_headings(seeded, client):
    english(client)
    agency = html(client, "/agencies/1003")
    assert "<h1>Immigration and Passport Police</h1>" in agency
    assert "<title>Immigration and Passport Police |" in agency
    assert "<h1>Travelling abroad</h1>" in html(client, "/life-events/travel-abroad")
    assert "<h1>Identity and civil status</h1>" in html(client, "/clusters/identity")


def test_english_offices_filter_lists_provinces_in_english(seeded, client):
    page = main(html(english(client), "/offices"))
    assert ">Tehran</option>" in page and ">Isfahan</option>" in page
    assert ">تهران</option>" not in page


# --- the card ----------------------------------------------------------------------------------------------


def _card(**english_fields):
    owner = f.agency(name="پلیس مهاجرت و گذرنامه")
    owner.name_en = "Immigration and Passport Police"
    return f.service(
        owner,
        title="صدور گذرنامهٔ عادی",
        summary="صدور یا تمدید گذرنامه برای سفر خارجی.",
        documents=["شناسنامهٔ عکس‌دار"],
        **english_fields,
    )


def test_english_card_page_shows_its_english_title_and_summary(app, client):
    with app.app_context():
        code = _card(title_en="Passport issue and renewal", summary_en="Issue or renew a passport.").code
        db.session.commit()
    page = html(english(client), f"/services/{code}")
    assert "<h1>Passport issue and renewal</h1>" in page
    assert "<title>Passport issue and renewal |" in page
    assert '<p class="lead">Issue or renew a passport.</p>' in page
    assert ">Immigration and Passport Police</a>" in page
    client.set_cookie("lang", "fa")
    persian = html(client, f"/services/{code}")
    assert "<h1>صدور گذرنامهٔ عادی</h1>" in persian and "Passport issue" not in persian


def test_persian_only_text_on_an_english_page_is_marked_persian(app, client):
    with app.app_context():
        code = _card().code  # no English title or summary
        db.session.commit()
    page = html(english(client), f"/services/{code}")
    assert '<h1><span lang="fa" dir="rtl">صدور گذرنامهٔ عادی</span></h1>' in page
    assert '<p class="lead" lang="fa" dir="rtl">صدور یا تمدید گذرنامه برای سفر خارجی.</p>' in page
    assert '<ul class="checklist" lang="fa" dir="rtl"><li>شناسنامهٔ عکس‌دار</li></ul>' in page
    # The agency has its English name: that one is not marked.
    assert ">Immigration and Passport Police</a>" in page


def test_persian_pages_mark_nothing_as_persian(app, client):
    with app.app_context():
        code = _card(title_en="Passport issue and renewal").code
        db.session.commit()
    page = main(html(client, f"/services/{code}"))
    assert 'lang="fa"' not in page and "<h1>صدور گذرنامهٔ عادی</h1>" in page


def test_english_lists_show_english_titles_and_mark_persian_ones(app, client):
    with app.app_context():
        owner = f.agency(name="سازمان ثبت احوال کشور")
        owner.name_en = "Civil Registration"
        f.service(owner, title="صدور کارت ملی", title_en="National ID card", yearly_volume=20)
        f.service(owner, title="صدور شناسنامه", yearly_volume=10)
        db.session.commit()
        code = owner.code
    page = main(html(english(client), f"/agencies/{code}"))
    assert ">National ID card</a>" in page
    assert '<span lang="fa" dir="rtl">صدور شناسنامه</span></a>' in page
    assert "Civil Registration" in page


def test_card_history_shows_a_change_of_english_title(app, client):
    with app.app_context():
        service = f.service(title="صدور گذرنامه", title_en="Passport")
        second = ServiceRevision(
            service=service, number=2, status="approved", title="صدور گذرنامه", title_en="Passport issue"
        )
        db.session.add(second)
        db.session.flush()
        publish_revision(service, second, [], [], [])
        db.session.commit()
        code = service.code
    page = main(html(client, f"/services/{code}/history"))
    assert "عنوان انگلیسی" in page
    assert '<del><span lang="en" dir="ltr">Passport</span></del>' in page
    assert '<ins><span lang="en" dir="ltr">Passport issue</span></ins>' in page
    english_page = main(html(english(client), f"/services/{code}/history"))
    assert '<del>Passport</del> <span aria-hidden="true">→</span>' in english_page


# --- English search ----------------------------------------------------------------------------------------


PASSPORT_CARDS = ["10030004", "10030001", "10030003", "10030002"]  # every demo card titled "passport", busiest first


@pytest.mark.parametrize("query", ["passport", "passports", "Passport", "PASSPORT"])
def test_english_search_finds_the_passport_cards_first(seeded, client, query):
    page = html(english(client), f"/search?q={query}")
    assert result_codes(page)[:4] == PASSPORT_CARDS
    assert ">Passport issue and renewal</a>" in page


def test_english_search_works_on_persian_pages_too(seeded, client):
    assert result_codes(html(client, "/search?q=passport"))[:4] == PASSPORT_CARDS


def test_every_example_in_the_english_placeholder_finds_a_card(seeded, client):
    page = html(english(client), "/")
    placeholder = re.search(r'id="home-q"[^>]*placeholder="([^"]+)"', page, re.S).group(1)
    assert placeholder == "For example, passport, driving licence or service code"
    examples = [part.strip() for part in placeholder.removeprefix("For example,").replace(" or ", ",").split(",")]
    expected = {"passport": "10030001", "driving licence": "10020001"}
    assert [e for e in examples if e != "service code"] == list(expected)
    for example, code in expected.items():
        assert code in result_codes(html(client, f"/search?q={example}"))[:5], example


def test_english_search_ranks_a_title_above_an_agency_name(app, client):
    with app.app_context():
        police = f.agency(name="پلیس مهاجرت")
        police.name_en = "Immigration and Passport Police"
        other = f.service(police, title="صدور روادید", title_en="Visa for foreign residents", yearly_volume=900)
        titled = f.service(police, title="صدور گذرنامه", title_en="Passport issue", yearly_volume=10)
        f.service(title="صدور پروانه", title_en="Building permit", yearly_volume=5000)
        db.session.commit()
        other_code, titled_code = other.code, titled.code
    # The busier card has "passport" only through its agency's name: it comes second; the permit not at all.
    assert result_codes(html(english(client), "/search?q=passports")) == [titled_code, other_code]


def test_english_summary_and_keywords_are_searched(app, client):
    with app.app_context():
        by_keyword = f.service(title="گواهی عدم سوءپیشینه", keywords_en=["background check"]).code
        by_summary = f.service(title="ثبت خاموشی", summary_en="Report a blackout on the power network.").code
        db.session.commit()
    english(client)
    assert result_codes(html(client, "/search?q=background check")) == [by_keyword]
    assert result_codes(html(client, "/search?q=blackouts")) == [by_summary]


def test_english_search_as_you_type_finds_by_prefix(app, client):
    with app.app_context():
        code = f.service(title="تمدید گواهینامه", title_en="Driving licence renewal").code
        db.session.commit()
    english(client)
    for typed in ("d", "driv", "driving lic", "renewa"):
        assert result_codes(html(client, f"/search?q={typed}")) == [code], typed


def test_english_search_results_show_english_titles_and_agency_names(seeded, client):
    page = main(html(english(client), "/search?q=passport"))
    assert "Immigration and Passport Police" in page and "پلیس مهاجرت و گذرنامه" not in page


def test_english_search_corrects_a_typo(seeded, client):
    page = html(english(client), "/search?q=pasport")
    assert result_codes(page)[:4] == PASSPORT_CARDS
    assert "passport" in page.split('class="search-note"', 1)[1].split("</p>", 1)[0]


# --- template strings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [(None, "جستجو | ردیف &lt;b&gt; | ۵۰%"), ("en", "Search | Row &lt;b&gt; | ۵۰%")],
    ids=["persian", "english"],
)
def test_a_templates_strings_are_translated_with_their_variables_escaped(app, cookie, expected):
    """`_()` in a template: the page's language, a variable escaped like any other text, "%%" a percent sign."""
    template = app.jinja_env.from_string('{{ _("جستجو") }} | {{ _("ردیف %(row)s", row="<b>") }} | {{ _("۵۰%%") }}')
    headers = {"Cookie": f"lang={cookie}"} if cookie else {}
    with app.test_request_context("/", headers=headers):
        assert template.render() == expected

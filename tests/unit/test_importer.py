"""Catalogue import and export: validation (all or nothing, row errors), upsert by code, lossless round trips,
and the `flask catalogue` commands."""

import csv
import json

import pytest
from sqlalchemy import func, select

from app.catalogue.queries import history, service_by_code
from app.catalogue.transfer import (
    ImportFailed,
    Source,
    clean_text,
    export_data,
    export_path,
    import_catalogue,
    join_list,
    read_path,
    slugify,
    split_list,
)
from app.extensions import db
from app.models import Agency, Cluster, LifeEvent, Service, ServiceRevision
from tests.catalogue_data import SEARCH_CATALOGUE, card, load, search_catalogue

FORM = [
    {
        "name": "reason",
        "type": "choice",
        "label": "علت درخواست",
        "required": True,
        "choices": [["lost", "مفقودی"], ["worn", "فرسودگی | پارگی"]],
    },
    {"name": "photo", "type": "file", "label": "عکس", "accept": ["jpeg"], "max_size_mb": 2},
]


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def errors_of(data):
    with pytest.raises(ImportFailed) as failed:
        import_catalogue(Source.from_data(data))
    db.session.rollback()
    return [(e.row, e.field) for e in failed.value.errors]


# --- importing ---------------------------------------------------------------------------------------------


def test_import_creates_cards_agencies_topics_and_synonyms(ctx):
    summary = load(search_catalogue())
    assert (summary.created, summary.updated, summary.unchanged) == (17, 0, 0)
    assert summary.agencies_created == 8 and summary.synonyms_added == 4
    provincial = db.session.execute(select(Agency).filter_by(code="2101")).scalar_one()
    assert provincial.parent.code == "2100" and provincial.province.code == "03"  # «آذربايجان شرقي» matched
    service = service_by_code("22001001")
    card = service.current_revision
    assert (card.number, card.status, card.fee_rial, card.in_person_visits) == (1, "approved", 35000000, 2)
    assert card.documents[0] == "سند مالکیت" and card.online_url == "https://e.tabriz.ir/permit"
    assert [p.code for p in service.provinces] == ["03"] and not service.offered_everywhere
    assert [c.slug for c in service.clusters] == ["urban"]
    retirement = service_by_code("25001002")  # named its life event by Persian name, not slug
    assert [e.slug for e in retirement.life_events] == ["retirement"]
    assert service_by_code("21005002").fully_electronic and not service_by_code("21005001").fully_electronic


def test_reimporting_the_same_file_changes_nothing(ctx):
    load(search_catalogue())
    revisions = count(ServiceRevision)
    summary = load(search_catalogue())
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 17)
    assert summary.rows_created == 0 and count(ServiceRevision) == revisions


def test_a_changed_card_gets_a_new_approved_revision(ctx):
    load(search_catalogue())
    data = search_catalogue()
    data["services"][0]["fee_rial"] = 1_500_000
    data["services"][0]["documents"].append("گواهی فوت")
    summary = load(data)
    assert (summary.updated, summary.unchanged) == (1, 16)
    service = service_by_code("21005001")
    assert service.current_revision.number == 2 and service.current_revision.fee_rial == 1_500_000
    (newest, changes), (oldest, first) = history(service)
    assert (newest.number, oldest.number, first) == (2, 1, None)
    assert {c.field for c in changes} == {"fee_rial", "documents"}
    assert next(c for c in changes if c.field == "documents").added == ["گواهی فوت"]


def test_form_definition_is_stored_unchanged_and_versioned(ctx):
    load([card("9001", "صدور المثنی", form=FORM)])
    revision = service_by_code("9001").current_revision
    assert revision.form_definition == FORM and revision.form_version == 1
    load([card("9001", "صدور المثنی", form=FORM[:1])])
    assert service_by_code("9001").current_revision.form_version == 2


def test_numbers_in_persian_digits_with_separators_and_labels_in_persian(ctx):
    load(
        [
            card(
                "۹۰۰۲",
                "ثبت نمونه",
                fee_rial="۱٬۲۰۰٬۰۰۰",
                duration_days="۳",
                yearly_volume=12000.0,
                type="دولت به کسب‌وکار",
                level="استانی",
                nature="تصدی گری",
                channels=["وبگاه", "پیشخوان", "sms"],
                stages={"information": "الکترونیکی", "request": "electronic", "production": "حضوری"},
                provinces=["تهران", "اصفهان"],
            )
        ]
    )
    revision = service_by_code("9002").current_revision
    assert (revision.fee_rial, revision.duration_days, revision.yearly_volume) == (1_200_000, 3, 12000)
    assert (revision.service_type, revision.level, revision.nature) == ("G2B", "provincial", "operational")
    assert revision.channels == ["web", "counter", "sms"]
    assert (revision.stage_information, revision.stage_request, revision.stage_production, revision.stage_delivery) == (
        "electronic",
        "electronic",
        "in_person",
        "in_person",
    )
    assert revision.province_codes == ["10", "23"]


def test_unknown_cluster_names_become_clusters_with_stable_ascii_slugs(ctx):
    load(
        [
            card("9003", "نمونهٔ یک", clusters=["گردشگری و میراث فرهنگی"]),
            card("9004", "نمونهٔ دو", clusters=["گردشگری و میراث‌فرهنگی"], life_events=["مهاجرت"]),
        ]
    )
    cluster = db.session.execute(select(Cluster)).scalar_one()  # the second spelling found the first
    assert (cluster.slug, cluster.name) == ("grdshgry-v-myras-frhngy", "گردشگری و میراث فرهنگی")
    assert db.session.execute(select(LifeEvent.slug)).scalar_one() == "mhajrt"
    assert [c.slug for c in service_by_code("9004").clusters] == ["grdshgry-v-myras-frhngy"]


def test_an_agency_name_typed_in_admin_is_stored_as_the_same_name_imported(app):
    from werkzeug.datastructures import MultiDict

    from app.web.admin.forms import AgencyEditForm

    typed = " سازمان\u200f تأمين   اجتماعي\u200c "  # Arabic ي, a direction mark, loose spaces and ZWNJ
    with app.test_request_context("/", method="POST"):
        load([card("9000", "درست", agency_name=typed)])
        imported = db.session.execute(select(Agency.name).filter_by(code="9100")).scalar_one()
        form = AgencyEditForm(formdata=MultiDict({"name": typed}), meta={"csrf": False})
        form.validate()
    assert imported == form.name.data == "سازمان تأمین اجتماعی"  # the hamza of تأمین is kept by both


def test_text_is_cleaned_for_display_but_keeps_digits_and_diacritics(ctx):
    assert clean_text("  كارت\u202eملي\u0000  عکس ۴×۶ زمینهٔ  \u200cسفید\u200c ") == "کارتملی عکس ۴×۶ زمینهٔ سفید"
    assert clean_text(clean_text("ثبت‌\u200cنام  ")) == clean_text("ثبت‌\u200cنام  ") == "ثبت\u200cنام"


def test_slugify_is_deterministic_ascii():
    assert slugify("سلامت و درمان") == "slamt-v-drman"
    assert slugify("Health & Care 2") == "health-care-2"
    assert slugify("!!!") == slugify("!!!") and slugify("!!!").startswith("item-")


# --- all or nothing ----------------------------------------------------------------------------------------


def test_any_invalid_row_means_nothing_is_written_and_every_error_is_reported(ctx):
    rows = [
        card("9101", "درست"),
        card("9102", "هزینهٔ بد", fee_rial="رایگان"),
        card("9103", "", summary="بی‌عنوان"),
        card("9104", "کد تکراری"),
        card("9104", "کد تکراری دوم"),
    ]
    assert errors_of(rows) == [(2, "fee_rial"), (3, "title"), (5, "code")]
    assert count(Service) == 0 and count(Agency) == 0


@pytest.mark.parametrize(
    "row,field",
    [
        ({"code": "12ab", "title": "x", "agency_code": "9100", "agency_name": "y"}, "code"),
        ({"title": "x", "agency_code": "9100", "agency_name": "y"}, "code"),
        ({"code": "1", "title": "x", "agency_code": "8888"}, "agency_name"),
        ({"code": "1", "title": "x"}, "agency_code"),
        (card("1", "x", type="B2B"), "type"),
        (card("1", "x", level="galactic"), "level"),
        (card("1", "x", nature="x"), "nature"),
        (card("1", "x", stages={"request": "by pigeon"}), "stage_request"),
        (card("1", "x", stages={"payment": "electronic"}), "stages"),
        (card("1", "x", stages=["electronic"]), "stages"),
        (card("1", "x", provinces=["آتلانتیس"]), "provinces"),
        (card("1", "x", provinces=7), "provinces"),
        (card("1", "x", channels=["fax"]), "channels"),
        (card("1", "x", online_url="javascript:alert(1)"), "online_url"),
        (card("1", "x", form={"name": "x"}), "form"),
        (card("1", "x", keywords=[{"a": 1}]), "keywords"),
        (card("1", "x", duration_days=-3), "duration_days"),
        (card("1", "x", in_person_visits=1.5), "in_person_visits"),
        (card("1", "x", yearly_volume=True), "yearly_volume"),
        (card("1", "x", parent_agency_code="7777"), "parent_agency_code"),
        (card("1", "x" * 301), "title"),
        ("not an object", ""),
    ],
)
def test_row_errors_name_the_row_and_field(ctx, row, field):
    assert errors_of([card("9000", "درست"), row]) == [(2, field)]


def test_a_form_the_renderer_cannot_use_fails_the_import_naming_the_row_and_nothing_is_written(ctx):
    rows = [
        card("9000", "درست", form=FORM),
        card("9001", "فرم خراب", form=[{"type": "bogus"}]),
        card("9002", "گزینهٔ بی‌فهرست", form=[{"name": "why", "type": "choice", "label": "چرا"}]),
    ]
    with pytest.raises(ImportFailed) as failed:
        import_catalogue(Source.from_data(rows))
    db.session.rollback()
    messages = [str(e) for e in failed.value.errors]
    assert [(e.row, e.field) for e in failed.value.errors] == [(2, "form"), (2, "form"), (3, "form")]
    assert messages[1].startswith("ردیف 2، form: فیلد ۱: نوع فیلد «bogus» شناخته نیست.")
    assert messages[2].startswith("ردیف 3، form: فیلد ۱ («why»): «choices»")
    assert count(Service) == 0 and count(ServiceRevision) == 0 and count(Agency) == 0


def test_file_level_errors(ctx, tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"services": [', encoding="utf-8")
    with pytest.raises(ImportFailed, match="JSON"):
        read_path(bad_json)
    with pytest.raises(ImportFailed):
        read_path(tmp_path / "catalogue.xlsx")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("code,title,agency_code\n1,caf\xe9,1\n".encode("latin-1"))
    with pytest.raises(ImportFailed, match="UTF-8"):
        read_path(latin1)
    no_header = tmp_path / "no_header.csv"
    no_header.write_text("code,name\n1,x\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        read_path(no_header)
    assert {e.field for e in failed.value.errors} == {"title", "agency_code"}
    with pytest.raises(ImportFailed):
        Source.from_data({"services": {"code": "1"}})


def test_section_errors_are_reported_with_their_section(ctx):
    data = {
        "agencies": [{"code": "x y", "name": "z"}, {"code": "9300"}],
        "clusters": [{"slug": "Bad Slug", "name": "x"}],
        "synonyms": {"پروانه": 5},
        "services": [],
    }
    with pytest.raises(ImportFailed) as failed:
        import_catalogue(Source.from_data(data))
    assert {(e.section, e.row, e.field) for e in failed.value.errors} == {
        ("agencies", 1, "code"),
        ("agencies", 2, "name"),
        ("clusters", 1, "slug"),
        ("synonyms", 1, "پروانه"),
    }


# --- CSV and round trips -----------------------------------------------------------------------------------


def test_csv_lists_stages_escaped_pipes_and_form(ctx, tmp_path):
    path = tmp_path / "cards.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "code",
                "title",
                "agency_code",
                "agency_name",
                "documents",
                "stage_request",
                "provinces",
                "form",
                "fee_rial",
            ]
        )
        writer.writerow(
            [
                "۹۲۰۱",
                "صدور کارت",
                "9100",
                "سازمان نمونه",
                r"کارت ملی|عکس\|رنگی|پوشه \\ زرد",
                "electronic",
                "تهران|فارس",
                json.dumps(FORM, ensure_ascii=False),
                "۵۰۰۰۰",
            ]
        )
    summary = import_catalogue(read_path(path))
    db.session.commit()
    revision = service_by_code("9201").current_revision
    assert summary.created == 1
    assert revision.documents == ["کارت ملی", "عکس|رنگی", "پوشه \\ زرد"]
    assert (revision.stage_request, revision.province_codes, revision.form_definition, revision.fee_rial) == (
        "electronic",
        ["07", "23"],
        FORM,
        50000,
    )


def test_list_escaping_round_trips():
    items = ["a|b", "c\\d", "e\\|f", "g"]
    assert split_list(join_list(items)) == items


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_export_then_import_is_lossless(ctx, tmp_path, suffix):
    data = search_catalogue()
    data["services"][0]["form"] = FORM
    data["services"][1]["documents"] = ["کارت ملی | شناسنامه", "پوشهٔ \\ زرد"]
    load(data)
    first = tmp_path / ("first" + suffix)
    second = tmp_path / ("second" + suffix)
    assert export_path(first) == 17
    summary = import_catalogue(read_path(first))
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged, summary.rows_created) == (0, 0, 17, 0)
    export_path(second)
    assert first.read_bytes() == second.read_bytes()
    exported = read_path(first).services
    by_code = {row["code"]: row for row in exported}
    assert by_code["21005001"]["form"] == FORM
    assert by_code["21005002"]["documents"] == ["کارت ملی | شناسنامه", "پوشهٔ \\ زرد"]
    assert by_code["22001001"]["provinces"] == ["آذربایجان شرقی"]


def test_exported_json_holds_agencies_topics_and_synonyms(ctx):
    load(search_catalogue())
    data = export_data()
    agency = next(a for a in data["agencies"] if a["code"] == "2101")
    assert agency["parent_code"] == "2100" and agency["province"] == "آذربایجان شرقی"
    assert data["synonyms"]["خودرو"] == ["ماشین", "اتومبیل"]
    assert data["synonyms"]["معلولان"] == ["توان خواهان"]
    assert [c["slug"] for c in data["clusters"]] == ["tax", "urban"]


def test_exported_cards_say_what_the_imported_file_said(ctx):
    load(search_catalogue())
    exported = {row["code"]: row for row in export_data()["services"]}
    source = {row["code"]: row for row in search_catalogue()["services"]}
    assert exported.keys() == source.keys()
    for code, row in source.items():
        for name, value in row.items():
            if name in ("clusters", "life_events", "provinces"):
                continue  # exported as slugs and Persian names, checked elsewhere
            expected = value if name != "stages" else {**dict.fromkeys(row["stages"], "in_person"), **value}
            got = exported[code][name] if name != "stages" else {k: exported[code]["stages"][k] for k in value}
            assert got == expected, (code, name)


# --- the command line ---------------------------------------------------------------------------------------


def test_cli_import_reports_and_commits(runner, app, tmp_path):
    result = runner.invoke(args=["catalogue", "import", str(SEARCH_CATALOGUE)])
    assert result.exit_code == 0, result.output
    assert "17 created, 0 updated, 0 unchanged" in result.output
    with app.app_context():
        assert count(Service) == 17
    again = runner.invoke(args=["catalogue", "import", str(SEARCH_CATALOGUE)])
    assert "0 created, 0 updated, 17 unchanged" in again.output


def test_cli_import_of_an_invalid_file_exits_non_zero_and_writes_nothing(runner, app, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps([card("9001", "درست"), card("x", "بد", fee_rial=-1)], ensure_ascii=False), encoding="utf-8"
    )
    result = runner.invoke(args=["catalogue", "import", str(path)])
    assert result.exit_code == 1
    assert "ردیف 2، code:" in result.output and "ردیف 2، fee_rial:" in result.output
    assert "nothing was written" in result.output
    with app.app_context():
        assert count(Service) == 0 and count(Agency) == 0


def test_cli_dry_run_writes_nothing(runner, app):
    result = runner.invoke(args=["catalogue", "import", "--dry-run", str(SEARCH_CATALOGUE)])
    assert result.exit_code == 0 and "dry run" in result.output
    with app.app_context():
        assert count(Service) == 0


def test_cli_import_of_many_rows_with_progress(runner, app, tmp_path):
    path = tmp_path / "many.json"
    path.write_text(
        json.dumps([card(f"8{n:05d}", f"خدمت شمارهٔ {n}") for n in range(1200)], ensure_ascii=False), encoding="utf-8"
    )
    result = runner.invoke(args=["catalogue", "import", str(path)])
    assert result.exit_code == 0 and "1200 created" in result.output


def test_cli_export_and_misses(runner, app, tmp_path):
    runner.invoke(args=["catalogue", "import", str(SEARCH_CATALOGUE)])
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["catalogue", "export", str(target)])
    assert result.exit_code == 0 and "17 services" in result.output
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 17 and rows[0]["stage_information"] in ("electronic", "in_person")
    assert runner.invoke(args=["catalogue", "export", str(tmp_path / "out.txt")]).exit_code == 1
    client = app.test_client()
    client.get("/search", query_string={"q": "زیردریایی"})
    misses = runner.invoke(args=["catalogue", "misses"])
    assert "زیردریایی" in misses.output


def test_cli_reindex(runner, app):
    runner.invoke(args=["catalogue", "import", str(SEARCH_CATALOGUE)])
    result = runner.invoke(args=["catalogue", "reindex"])
    assert result.exit_code == 0 and "17 services" in result.output


def test_seed_demo_goes_through_the_importer(runner, app):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert count(Service) > 0
        assert db.session.execute(select(func.max(ServiceRevision.number))).scalar_one() == 1
        assert search_services_total("گذرنامه") > 0


def search_services_total(query):
    from app.catalogue.search.query import search_services

    return search_services(query).total


def test_seed_demo_on_an_upgraded_database_rebuilds_an_outdated_search_index(runner, app):
    from sqlalchemy import delete, text

    from app.catalogue.search.query import search_services
    from app.models import Setting

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():  # as after `db upgrade` on a database whose cards predate the index
        db.session.execute(text("DELETE FROM service_search"))
        db.session.execute(delete(Setting))
        db.session.commit()
        assert search_services("گذرنامه", record_miss=False).total == 0
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "search index rebuilt" in result.output
    with app.app_context():
        assert search_services("گذرنامه", record_miss=False).total > 0
    assert "rebuilt" not in runner.invoke(args=["seed-demo", "--if-empty"]).output  # once is enough

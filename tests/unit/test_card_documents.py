"""The card's documents as the form's file fields (issue 12 item 7): the rule, the definition check, the importer."""

import pytest

from app.catalogue.queries import service_by_code
from app.catalogue.transfer import ImportFailed, Source, export_data, import_catalogue
from app.extensions import db
from app.requests.formdefs import (
    DEFAULT_DEFINITION,
    check_definition,
    definition_for,
    document_required,
    with_card_documents,
)
from tests import factories as f
from tests.catalogue_data import card, load

SCAN = {"name": "scan", "type": "file", "label": "تصویر شناسنامه", "required": True, "document": 1}


def test_each_document_not_mapped_becomes_a_file_field_required_unless_worded_if_any(ctx):
    documents = ["کارت ملی", "شناسنامه", "کارت ملی قبلی (در صورت وجود)"]
    fields = with_card_documents([{"name": "why", "type": "text", "label": "چرا"}, SCAN], documents)
    assert [(s["name"], s["label"], s.get("required"), s.get("document")) for s in fields] == [
        ("why", "چرا", None, None),
        ("scan", "تصویر شناسنامه", True, 1),  # the form's own field for document 1: not asked twice
        ("card_document_1", "کارت ملی", True, 0),
        ("card_document_3", "کارت ملی قبلی (در صورت وجود)", False, 2),
    ]
    assert check_definition(fields, documents) == []


def test_the_generic_form_gives_its_catch_all_file_field_way_to_the_cards_documents(ctx):
    fields = with_card_documents(DEFAULT_DEFINITION, ["گواهی ولادت"])
    assert [s["name"] for s in fields] == ["description", "card_document_1"]
    assert with_card_documents(DEFAULT_DEFINITION, []) == DEFAULT_DEFINITION  # no documents: the form as it was


def test_the_counter_and_online_forms_read_the_documents_through_definition_for(ctx):
    service = f.service(documents=["کارت ملی", "عکس ۳×۴"])
    assert [s["name"] for s in definition_for(service.current_revision) if s["type"] == "file"] == [
        "card_document_1",
        "card_document_2",
    ]


@pytest.mark.parametrize(
    "text, required",
    [("کارت ملی", True), ("کارت ملی قبلی (در صورت وجود)", False), ("گواهی پزشکی در صورت نیاز", False)]
    + [("اجاره‌نامه (اختیاری)", False)],
)
def test_a_document_is_required_unless_the_card_words_it_as_optional(text, required):
    assert document_required(text) is required


@pytest.mark.parametrize(
    "spec, documents, problem",
    [
        ({**SCAN, "document": []}, None, "شمارهٔ مدرک (یا فهرستی از شماره‌ها)"),
        ({**SCAN, "document": [0, "1"]}, None, "شمارهٔ مدرک (یا فهرستی از شماره‌ها)"),
        ({**SCAN, "document": "1"}, None, "شمارهٔ مدرک (یا فهرستی از شماره‌ها)"),
        ({**SCAN, "document": -1}, None, "شمارهٔ مدرک (یا فهرستی از شماره‌ها)"),
        ({**SCAN, "document": True}, None, "شمارهٔ مدرک (یا فهرستی از شماره‌ها)"),
        ({**SCAN, "document": 2}, ["کارت ملی", "شناسنامه"], "شناسنامه مدرک شمارهٔ ۲ ندارد"),
    ],
)
def test_check_definition_refuses_a_document_reference_that_is_not_one(ctx, spec, documents, problem):
    problems = check_definition([spec], documents)
    assert len(problems) == 1 and problem in problems[0]


def test_a_typed_field_can_answer_a_document_and_one_field_several(ctx):
    code = {"name": "owner", "type": "national_code", "label": "کد ملی مالک", "document": [0, 2]}
    documents = ["کد ملی مالک", "کارت خودرو", "شمارهٔ همراه مالک"]
    fields = with_card_documents([code], documents)
    assert [s["name"] for s in fields] == ["owner", "card_document_2"]  # only the scan is asked as a file
    assert check_definition(fields, documents) == []


def test_two_file_fields_for_one_document_are_refused(ctx):
    problems = check_definition([SCAN, {**SCAN, "name": "scan_again"}])
    assert len(problems) == 1 and "این مدرک را فیلد دیگری هم می‌خواهد" in problems[0]


def test_the_importer_keeps_a_file_fields_document_and_refuses_one_the_card_lacks(ctx):
    load([card("9101", "صدور المثنی", documents=["کارت ملی", "شناسنامه"], form=[SCAN])])
    assert service_by_code("9101").current_revision.form_definition == [SCAN]
    exported = next(row for row in export_data()["services"] if row["code"] == "9101")
    assert exported["form"] == [SCAN]  # exported as imported, so a round trip changes nothing
    with pytest.raises(ImportFailed) as failed:
        import_catalogue(Source.from_data([card("9102", "بی‌مدرک", documents=["کارت ملی"], form=[SCAN])]))
    db.session.rollback()
    assert [(e.row, e.field) for e in failed.value.errors] == [(1, "form")]
    assert "شناسنامه مدرک شمارهٔ ۱ ندارد" in str(failed.value.errors[0])

"""Inquiry types and cards' inquiries from a file: all or nothing with every problem named, types upserted by code,
a listed card gets exactly the file's inquiries in its order (a request already filed keeps what it started with),
the export reads back to the same file, and `flask inquiries import` says what it did."""

import json

import pytest

from app import inquiries
from app.extensions import db
from app.inquiries.transfer import ImportFailed, export_inquiries, import_inquiries
from app.models import AuditEvent, InquiryType, ServiceInquiry
from tests import factories as f


@pytest.fixture
def world(ctx):
    registry = f.agency(code="8001", name="سازمان ثبت احوال کشور")
    f.agency(code="8002", name="قوه قضاییه")
    service = f.service(code="80030001", documents=["کارت ملی", "گواهی عدم سوءپیشینه"])
    db.session.commit()
    return registry, service


def _file(**card):
    return {
        "types": [
            {
                "code": "identity",
                "agency_code": "8001",
                "title": "استعلام هویت",
                "subject": "national_code",
                "due_minutes": 5,
                "replaces": ["کارت ملی"],
                "legal_basis": "قانون ثبت احوال",
                "answer_fields": [{"name": "alive", "label": "در قید حیات"}],
            },
            {
                "code": "criminal_record",
                "agency_code": "8002",
                "title": "استعلام سوءپیشینه",
                "due_minutes": 60,
                "answer_fields": [{"name": "record", "label": "سابقه"}],
            },
        ],
        "cards": [
            card
            or {
                "service": "80030001",
                "inquiries": [
                    {"type": "identity"},
                    {"type": "criminal_record", "after": "identity", "on_not_found": "stop", "replaces": [1]},
                ],
            }
        ],
    }


def test_a_file_sets_the_types_and_the_cards_inquiries_in_order(world):
    _registry, service = world
    outcome = import_inquiries(_file())
    db.session.commit()
    assert (outcome.types_created, outcome.types_updated, outcome.cards) == (2, 0, ["80030001"])
    declared = inquiries.declared(service)
    assert [d.inquiry_type.code for d in declared] == ["identity", "criminal_record"]
    assert declared[1].after is declared[0] and declared[1].on_not_found == "stop"
    assert inquiries.replaced_documents(service.id, service.current_revision.documents).keys() == {0, 1}
    assert db.session.query(AuditEvent).filter_by(action="inquiries.import").count() == 1


def test_importing_again_updates_by_code_and_replaces_a_cards_list(world):
    _registry, service = world
    import_inquiries(_file())
    db.session.commit()
    changed = _file(service="80030001", inquiries=[{"type": "criminal_record"}])
    changed["types"][1]["due_minutes"] = 120
    outcome = import_inquiries(changed)
    db.session.commit()
    assert (outcome.types_created, outcome.types_updated) == (0, 2)
    assert db.session.query(InquiryType).count() == 2
    assert db.session.query(InquiryType).filter_by(code="criminal_record").one().due_minutes == 120
    assert [d.inquiry_type.code for d in inquiries.declared(service)] == ["criminal_record"]


def test_a_request_filed_before_a_change_keeps_its_inquiries(world, app, monkeypatch):
    _registry, service = world
    import_inquiries(_file())
    db.session.commit()
    monkeypatch.setitem(app.config, "JOBS_IMMEDIATE", False)
    request = f.filed(service, f.citizen(900000))
    before = sorted(i.inquiry_type.code for i in inquiries.for_request(request))
    import_inquiries(_file(service="80030001", inquiries=[]))
    db.session.commit()
    assert inquiries.declared(service) == []
    assert (
        sorted(i.inquiry_type.code for i in inquiries.for_request(request))
        == before
        == [
            "criminal_record",
            "identity",
        ]
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["types"][0].update(agency_code="9999"), "types[0]: no agency with code '9999'"),
        (lambda d: d["types"][0].update(subject="passport"), "types[0]: subject must be one of"),
        (lambda d: d["types"][1].update(due_minutes=0), "types[1]: due_minutes must be a whole number"),
        (lambda d: d["cards"][0].update(service="00000000"), "cards[0]: no service with code '00000000'"),
        (lambda d: d["cards"][0]["inquiries"][0].update(type="unknown"), "no inquiry type 'unknown'"),
        (lambda d: d["cards"][0]["inquiries"].reverse(), "after 'identity' must name an inquiry listed before it"),
        (lambda d: d["cards"][0]["inquiries"][1].update(on_not_found="skip"), "on_not_found must be continue or"),
        (lambda d: d["types"].append(dict(d["types"][0])), "types: a code is listed twice"),
    ],
)
def test_a_file_with_a_problem_writes_nothing_and_names_it(world, change, problem):
    data = _file()
    change(data)
    with pytest.raises(ImportFailed) as failed:
        import_inquiries(data)
    db.session.rollback()
    assert any(problem in p for p in failed.value.problems), failed.value.problems
    assert db.session.query(InquiryType).count() == 0
    assert db.session.query(ServiceInquiry).count() == 0


def test_the_export_reads_back_to_the_same_file(world):
    import_inquiries(_file())
    db.session.commit()
    exported = export_inquiries()
    assert [t["code"] for t in exported["types"]] == ["criminal_record", "identity"]
    assert exported["cards"] == [
        {
            "service": "80030001",
            "inquiries": [
                {"type": "identity"},
                {"type": "criminal_record", "after": "identity", "on_not_found": "stop", "replaces": [1]},
            ],
        }
    ]
    import_inquiries(exported)
    db.session.commit()
    assert export_inquiries() == exported


def test_the_command_imports_a_file_and_a_dry_run_writes_nothing(world, app, tmp_path):
    path = tmp_path / "inquiries.json"
    path.write_text(json.dumps(_file(), ensure_ascii=False), encoding="utf-8")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["inquiries", "import", "--dry-run", str(path)])
    assert dry.exit_code == 0 and "would import: 2 new types" in dry.output
    assert db.session.query(InquiryType).count() == 0
    done = runner.invoke(args=["inquiries", "import", str(path)])
    assert done.exit_code == 0 and "imported: 2 new types, 0 updated, 1 cards' inquiries set" in done.output
    db.session.rollback()
    assert db.session.query(InquiryType).count() == 2
    bad = _file(service="00000000", inquiries=[])
    path.write_text(json.dumps(bad), encoding="utf-8")
    refused = runner.invoke(args=["inquiries", "import", str(path)])
    assert refused.exit_code == 1 and "no service with code '00000000'" in refused.output

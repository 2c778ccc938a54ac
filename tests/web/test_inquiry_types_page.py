"""The administrators' list of inquiry types: each with its provider, due time, the documents it replaces and the
cards that declare it, in order; agency and counter staff cannot open it."""

import pytest

from app.extensions import db
from app.inquiries.transfer import import_inquiries
from app.models import Role
from tests import factories as f
from tests.web.helpers import sign_in_staff


@pytest.fixture
def world(app):
    with app.app_context():
        f.agency(code="8001", name="سازمان ثبت احوال کشور")
        police = f.agency(code="8002", name="پلیس راهور")
        f.service(police, code="80020001", title="گواهینامهٔ رانندگی", documents=["کارت ملی"])
        f.staff(Role.NATIONAL_ADMIN, username="admin")
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=police)
        db.session.commit()
        import_inquiries(
            {
                "types": [
                    {
                        "code": "identity",
                        "agency_code": "8001",
                        "title": "استعلام هویت و وقایع حیاتی",
                        "due_minutes": 5,
                        "replaces": ["کارت ملی"],
                        "legal_basis": "قانون ثبت احوال",
                        "answer_fields": [{"name": "alive", "label": "در قید حیات"}],
                    },
                    {"code": "postal", "agency_code": "8001", "title": "استعلام نشانی با کد پستی"},
                ],
                "cards": [{"service": "80020001", "inquiries": [{"type": "identity"}]}],
            }
        )
        db.session.commit()


def test_an_administrator_sees_each_type_with_its_provider_and_the_cards_that_declare_it(client, world):
    sign_in_staff(client, "admin")
    html = client.get("/admin/inquiries").get_data(as_text=True)
    identity = html.split('id="type-identity"')[1].split("</section>")[0]
    assert "سازمان ثبت احوال کشور" in identity
    assert "۵ دقیقه" in identity
    assert "کارت ملی" in identity and "قانون ثبت احوال" in identity and "در قید حیات" in identity
    assert "گواهینامهٔ رانندگی" in identity and 'href="/services/80020001"' in identity
    postal = html.split('id="type-postal"')[1].split("</section>")[0]
    assert "هنوز هیچ خدمتی این استعلام را ندارد" in postal


def test_agency_staff_cannot_open_the_list(client, world):
    sign_in_staff(client, "officer")
    assert client.get("/admin/inquiries").status_code == 404  # role_required hides what it refuses

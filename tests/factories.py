"""Small builders for tests: agencies, services, people, offices, outsourcing, requests."""

import itertools

from werkzeug.security import generate_password_hash

from app.catalogue.queries import publish_revision
from app.extensions import db
from app.models import Agency, Office, Outsourcing, Province, Role, Service, ServiceRevision, User, new_public_id
from app.requests.filing import Filing, file_request

PASSWORD = "correct horse battery"
# Hashed once, cheaply: scrypt for every staff user and every sign-in was most of the suite's time. The app keeps
# scrypt (tests/web/test_sign_in.py checks that); check_password_hash reads the method from the hash itself.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_sequence = itertools.count(1)

ALL_ELECTRONIC = {
    "stage_information": "electronic",
    "stage_request": "electronic",
    "stage_production": "electronic",
    "stage_delivery": "electronic",
}


def national_code(n):
    """A valid national code derived from n (the last digit is the checksum)."""
    body = f"{n:09d}"[-9:]
    total = sum(int(d) * (10 - i) for i, d in enumerate(body))
    r = total % 11
    return body + str(r if r < 2 else 11 - r)


def agency(code=None, name="سازمان آزمایشی"):
    row = Agency(code=code or f"9{next(_sequence):03d}", name=name, connection_status="connected")
    db.session.add(row)
    db.session.flush()
    return row


def service(owner=None, code=None, title="صدور پروانهٔ آزمایشی", form=None, duration_days=7, fee_rial=0, **card):
    owner = owner or agency()
    row = Service(code=code or f"{owner.code}{next(_sequence):04d}", agency=owner)
    db.session.add(row)
    revision = ServiceRevision(
        service=row,
        number=1,
        status="approved",
        title=title,
        duration_days=duration_days,
        fee_rial=fee_rial,
        form_definition=form or [],
        **{**ALL_ELECTRONIC, **card},
    )
    db.session.add(revision)
    db.session.flush()
    publish_revision(row, revision, [], [], [])
    db.session.flush()
    return row


def citizen(n=None, mobile=None, name="شهروند آزمایشی"):
    n = n or next(_sequence)
    row = User(
        public_id=new_public_id(),
        role=Role.CITIZEN,
        national_code=national_code(n),
        mobile=mobile or f"0912{n:07d}"[-11:],
        full_name=name,
    )
    db.session.add(row)
    db.session.flush()
    return row


def staff(role, username=None, **scope):
    row = User(
        public_id=new_public_id(),
        role=role,
        username=username or f"user{next(_sequence)}",
        password_hash=PASSWORD_HASH,
        full_name="کارمند آزمایشی",
        **scope,
    )
    db.session.add(row)
    db.session.flush()
    return row


def province(code="23"):
    return db.session.execute(db.select(Province).filter_by(code=code)).scalar_one()


def office(province_code="23", code=None, name="دفتر پیشخوان آزمایشی"):
    row = Office(code=code or f"O{next(_sequence)}", name=name, province=province(province_code))
    db.session.add(row)
    db.session.flush()
    return row


def outsourcing(target, status="approved", provinces=(), fee=50000):
    row = Outsourcing(
        public_id=new_public_id(),
        service=target,
        status=status,
        all_provinces=not provinces,
        provinces=[province(code) for code in provinces],
        counter_fee_rial=fee,
    )
    db.session.add(row)
    db.session.flush()
    return row


def filed(target, applicant, answers=None, **kwargs):
    """A request filed online through the one filing path."""
    return file_request(
        Filing(
            service=target,
            applicant=applicant,
            answers=answers if answers is not None else {"description": "درخواست آزمایشی"},
            actor=kwargs.pop("actor", applicant),
            **kwargs,
        )
    )


def decided(target, applicant, submitted_at, decided_at, status="approved"):
    """A request of `target` submitted at submitted_at and decided at decided_at (None, with an open status: not
    decided yet), written directly with those times, as measured processing times read them (app/evaluation/)."""
    from app.core.identifiers import new_tracking_code
    from app.models import Request

    row = Request(
        public_id=new_public_id(),
        tracking_code=new_tracking_code(),
        service=target,
        revision=target.current_revision,
        agency_id=target.agency_id,
        applicant=applicant,
        status=status,
        submitted_at=submitted_at,
        decided_at=decided_at,
        answers={"description": "درخواست آزمایشی"},
    )
    db.session.add(row)
    db.session.flush()
    return row

"""Citizens: the one find-or-create by national code, used by online sign-in, the counter and (later) the API."""

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.core.errors import RuleError
from app.extensions import db
from app.models import Role, User, new_public_id
from app.permissions import is_citizen


class CitizenError(RuleError):
    """The national code belongs to a staff account, which never files as a citizen."""


def find_or_create(national_code: str, mobile: str | None = None, full_name: str = "") -> User:
    """The citizen with this (canonical) national code, created on first sight inside the caller's transaction.

    An existing account's mobile and name are never overwritten here: a stored mobile is where status SMS go, and
    changing it is its own flow (an ownership check of the new number and a notice to the old one). Blanks are
    filled. Two first visits at the same moment meet at the unique national code; the loser reads the winner's row
    and the caller's transaction goes on (a savepoint, not a rollback)."""
    query = db.select(User).filter_by(national_code=national_code)
    user = db.session.execute(query).scalar_one_or_none()
    if user is None:
        user = User(
            public_id=new_public_id(),
            role=Role.CITIZEN,
            national_code=national_code,
            mobile=mobile,
            full_name=full_name or "",
        )
        try:
            with db.session.begin_nested():
                db.session.add(user)
        except IntegrityError:
            user = db.session.execute(query).scalar_one()
        else:
            return user
    if not is_citizen(user):
        raise CitizenError(
            _("این کد ملی به حساب یک کارمند تعلق دارد و با آن درخواست شهروندی ثبت نمی‌شود."), "national_code"
        )
    if not user.mobile and mobile:
        user.mobile = mobile
    if not user.full_name and full_name:
        user.full_name = full_name
    return user

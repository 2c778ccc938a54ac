"""People: citizens and staff in one User table, each with one role and the scope it acts in."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, created_at, one_of, pk


class Role:
    CITIZEN = "citizen"
    CLERK = "clerk"
    OFFICE_MANAGER = "office_manager"
    AGENCY_OFFICER = "agency_officer"
    AGENCY_MANAGER = "agency_manager"
    PROVINCIAL_ADMIN = "provincial_admin"
    NATIONAL_ADMIN = "national_admin"

    ALL = (CITIZEN, CLERK, OFFICE_MANAGER, AGENCY_OFFICER, AGENCY_MANAGER, PROVINCIAL_ADMIN, NATIONAL_ADMIN)
    # Which scope column each role must have set; permissions.py builds its queries on this.
    SCOPE = {
        CITIZEN: None,
        CLERK: "office_id",
        OFFICE_MANAGER: "office_id",
        AGENCY_OFFICER: "agency_id",
        AGENCY_MANAGER: "agency_id",
        PROVINCIAL_ADMIN: "province_id",
        NATIONAL_ADMIN: None,
    }
    STAFF = ALL[1:]


class User(UserMixin, Model):
    __table_args__ = (one_of("role", Role.ALL),)
    id: Mapped[int] = pk()
    # Public handle for URLs and sessions, so row ids never leave the database.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.CITIZEN, index=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    national_code: Mapped[str | None] = mapped_column(String(10), unique=True)  # citizens
    mobile: Mapped[str | None] = mapped_column(String(11), index=True)  # canonical 09…
    username: Mapped[str | None] = mapped_column(String(64), unique=True)  # staff
    password_hash: Mapped[str | None] = mapped_column(String(255))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Bumped by signing out everywhere, a password change or reset, a role change and deactivation: a session
    # cookie carries the version it was issued under and stops working when the two differ.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at = created_at()

    office = relationship("Office", foreign_keys=[office_id])
    agency = relationship("Agency")
    province = relationship("Province")

    def get_id(self):
        return self.public_id

    @property
    def is_active(self):
        return self.is_active_account

    @property
    def is_staff(self):
        return self.role in Role.STAFF

    def has_role(self, *roles):
        return self.role in roles


class MobileOwnership(Model):
    """The simulator's registry of (national code, mobile) pairs, as the national mobile-ownership registry
    (شاهکار) knows them; any other pair is refused at sign-in. seed-demo and `flask ownership register` add rows."""

    __table_args__ = (UniqueConstraint("national_code", "mobile"),)
    id: Mapped[int] = pk()
    national_code: Mapped[str] = mapped_column(String(10))
    mobile: Mapped[str] = mapped_column(String(11))
    created_at = created_at()


class SignInThrottle(Model):
    """Wrong staff passwords per key (an account and a client address): the wait before the next try grows with
    each failure, so one address cannot lock an account for everybody else."""

    id: Mapped[int] = pk()
    key: Mapped[str] = mapped_column(String(128), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime)

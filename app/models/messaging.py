"""Messages to people: the SMS outbox and one-time codes (sign-in, counter consent)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, created_at, not_negative, one_of, pk


class SmsMessage(Model):
    """Every SMS the app sends; the local backend stops here, a gateway backend also delivers it."""

    # What the message is for: "" when the sender gave no purpose (app/adapters/sms.py send()'s default).
    PURPOSES = ("", "otp", "tracking", "status")
    STATUSES = ("stored", "sent", "failed")
    __table_args__ = (one_of("purpose", PURPOSES), one_of("status", STATUSES))
    id: Mapped[int] = pk()
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(20), default="")
    backend: Mapped[str] = mapped_column(String(20), default="local")
    status: Mapped[str] = mapped_column(String(12), default="stored")
    # The outbox row that sends it (app/adapters/sms.py); "sent" is set by the worker, never by the request.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"), index=True)
    created_at = created_at()

    job = relationship("Job")


class OtpChallenge(Model):
    """A one-time code sent to a mobile; only its hash is kept, with the count of wrong tries."""

    # Signing in, a citizen's consent to a counter filing, and proving a new mobile number before it replaces the old.
    PURPOSES = ("sign_in", "counter_consent", "mobile_change")
    __table_args__ = (one_of("purpose", PURPOSES), not_negative("attempts"))
    id: Mapped[int] = pk()
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    purpose: Mapped[str] = mapped_column(String(20), default="sign_in")
    national_code: Mapped[str] = mapped_column(String(10), index=True)
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # A counter consent code: the office and clerk it was sent for, and when the citizen read it out right (a code
    # replaced by a newer one is consumed too, never verified). One verified consent covers the citizen's further
    # filings with the same clerk for a short while (app/counter/consent.py, visit_consent).
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at = created_at()

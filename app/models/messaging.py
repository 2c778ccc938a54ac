"""Messages to people: the SMS outbox and one-time codes (sign-in, counter consent)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import created_at, pk


class SmsMessage(db.Model):
    """Every SMS the app sends; the local backend stops here, a gateway backend also delivers it."""

    id: Mapped[int] = pk()
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(20), default="")  # otp | tracking | status
    backend: Mapped[str] = mapped_column(String(20), default="local")
    status: Mapped[str] = mapped_column(String(12), default="stored")  # stored | sent | failed
    created_at = created_at()


class OtpChallenge(db.Model):
    """A one-time code sent to a mobile; only its hash is kept, with the count of wrong tries."""

    id: Mapped[int] = pk()
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    purpose: Mapped[str] = mapped_column(String(20), default="sign_in")  # sign_in | counter_consent
    national_code: Mapped[str] = mapped_column(String(10), index=True)
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at = created_at()

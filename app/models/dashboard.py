"""The public dashboard's stored figures (issue 14): one snapshot per scope ("national" or a province code), computed
nightly by background work and on first need, so a page view reads one row instead of counting requests."""

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSONDocument, Model, pk, utcnow


class DashboardSnapshot(Model):
    """The figures of one scope as last computed (app/evaluation/dashboard.py says what each one means)."""

    NATIONAL = "national"
    id: Mapped[int] = pk()
    scope: Mapped[str] = mapped_column(String(16), unique=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    figures: Mapped[dict] = mapped_column(JSONDocument, default=dict)

"""The append-only audit log; each row carries the hash of the one before it."""

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONDocument, Model, created_at, pk


class AuditEvent(Model):
    # A provincial administrator's log (app/administration/audit.py visible_to) is their own actions or events
    # about objects they manage, newest (highest id) first: one index for each side of that OR, both ending in id
    # so each side is read already in order.
    __table_args__ = (
        Index("ix_audit_event_actor", "actor_id", "id"),
        Index("ix_audit_event_object", "object_type", "object_ref", "id"),
    )
    id: Mapped[int] = pk()
    created_at = created_at()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_ref: Mapped[str] = mapped_column(String(64), default="")  # a public code, never a row id
    before: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    after: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User")

"""Unfinished drafts a revoked device sealed to the server before it wiped, kept for the worker's next device."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class UnfinishedDraft(db.Model):
    """One draft handed over by a device that could no longer keep it: not a record and not a revision.

    The draft (body, photo) is encrypted at rest like record bodies. It waits until one of the worker's devices
    takes it back as an editable draft (`taken_at`); it never counts as part of the child's record.
    """

    __tablename__ = "unfinished_drafts"
    __table_args__ = (Index("ix_unfinished_drafts_user_taken", "user_id", "taken_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the sealed item's op id: a replay stores once
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    draft_id: Mapped[str] = mapped_column(String(36))
    record_id: Mapped[str] = mapped_column(String(36))
    record_type: Mapped[str] = mapped_column(String(40))
    from_device_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    taken_by_device_id: Mapped[str | None] = mapped_column(String(64))
    body_key_id: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)

"""Signed-off records on their way into the council's system of record: one export job per record version and
destination, created in the sign-off's own transaction so a sign-off can never commit without its export."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class ExportState(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or leased by a delivery worker until next_attempt_at)
    DELIVERED = "delivered"
    PARKED = "parked"  # failed too often: waits in the dead-letter list for an admin to retry


class ExportJob(db.Model):
    __tablename__ = "export_jobs"
    __table_args__ = (
        UniqueConstraint("record_id", "revision", "destination", name="uq_export_jobs_record_revision_destination"),
        Index("ix_export_jobs_state_next_attempt", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across retries and worker restarts: the receiver de-duplicates on it.
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    record_id: Mapped[str] = mapped_column(String(36), ForeignKey("records.id"))
    revision: Mapped[int]
    destination: Mapped[str] = mapped_column(String(32))
    state: Mapped[ExportState] = mapped_column(
        db.Enum(ExportState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=ExportState.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Why the last attempt failed, in technical words only (status code, exception class): never case content.
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

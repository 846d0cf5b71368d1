"""Manager reviews of synced records, and the notices that tell a worker what happened to their records."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class ReviewDecision(enum.StrEnum):
    SIGNED_OFF = "signed_off"
    RETURNED = "returned"


class RecordReview(db.Model):
    """One manager decision on one revision of a record. Append-only: a later decision is a new row."""

    __tablename__ = "record_reviews"
    __table_args__ = (Index("ix_record_reviews_record_at", "record_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), ForeignKey("records.id"))
    revision: Mapped[int]
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[ReviewDecision] = mapped_column(
        db.Enum(ReviewDecision, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    # The management comment is case content, so it is encrypted at rest like record bodies.
    comment_key_id: Mapped[str] = mapped_column(String(32))
    comment: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    manager: Mapped[User] = relationship()


class ReviewIsAppendOnly(RuntimeError):
    pass


@event.listens_for(RecordReview, "before_update")
@event.listens_for(RecordReview, "before_delete")
def _refuse_rewriting_reviews(mapper, connection, target):
    raise ReviewIsAppendOnly("record reviews cannot be changed or deleted")


class NoticeKind(enum.StrEnum):
    RETURNED = "returned"
    SIGNED_OFF = "signed_off"
    CONFLICT_RESOLVED = "conflict_resolved"
    MERGE_CONFIRMED = "merge_confirmed"


class Notification(db.Model):
    """Something a worker should know about their record; the device reads these after it syncs.

    No free text is stored here: the message is built when read, from the review or conflict it points to.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[NoticeKind] = mapped_column(
        db.Enum(NoticeKind, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])
    )
    record_id: Mapped[str] = mapped_column(String(36), ForeignKey("records.id"))
    revision: Mapped[int]
    review_id: Mapped[int | None] = mapped_column(ForeignKey("record_reviews.id"))
    conflict_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("conflicts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    review: Mapped[RecordReview | None] = relationship()

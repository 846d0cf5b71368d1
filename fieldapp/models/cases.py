"""Children and who they are allocated to."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import Team, User
from .types import UTCDateTime, UUIDString, new_uuid, utcnow


class LegalStatus(enum.StrEnum):
    LOOKED_AFTER = "looked_after"
    CHILD_PROTECTION = "child_protection"
    CHILD_IN_NEED = "child_in_need"
    PRIVATE_FOSTERING = "private_fostering"

    @property
    def label(self) -> str:
        return LEGAL_STATUS_LABELS[self]


LEGAL_STATUS_LABELS = {
    LegalStatus.LOOKED_AFTER: "Looked-after child",
    LegalStatus.CHILD_PROTECTION: "Child protection plan",
    LegalStatus.CHILD_IN_NEED: "Child in need",
    LegalStatus.PRIVATE_FOSTERING: "Private fostering",
}


class Child(db.Model):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random public id: URLs and device stores never carry a sequential or personal identifier.
    public_id: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    date_of_birth: Mapped[date]
    legal_status: Mapped[LegalStatus] = mapped_column(
        db.Enum(LegalStatus, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])
    )
    placement_start: Mapped[date | None]
    permanent_placement: Mapped[bool] = mapped_column(default=False)
    # Child protection visits: frequency in working days set by the child's plan (default 10).
    cp_visit_interval_working_days: Mapped[int | None]
    address: Mapped[str] = mapped_column(Text, default="")
    address_risk_notes: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team | None] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="child", order_by="Allocation.started_at.desc()"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int:
        had_birthday = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if had_birthday else 1)

    @property
    def current_allocation(self) -> Allocation | None:
        return next((a for a in self.allocations if a.ended_at is None), None)


class Allocation(db.Model):
    """A child allocated to a worker for a period; ended rows are the allocation history."""

    __tablename__ = "allocations"
    __table_args__ = (
        # At most one open allocation per child, enforced by the database on both backends.
        Index(
            "uq_allocations_one_open_per_child",
            "child_id",
            unique=True,
            sqlite_where=db.text("ended_at IS NULL"),
            postgresql_where=db.text("ended_at IS NULL"),
        ),
        Index("ix_allocations_worker_open", "worker_id", "ended_at"),
        # A child's allocations, latest ending first: "unallocated since" per child without scanning them all.
        Index("ix_allocations_child_ended", "child_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    allocated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    child: Mapped[Child] = relationship(back_populates="allocations")
    worker: Mapped[User] = relationship(foreign_keys=[worker_id])
    allocated_by: Mapped[User | None] = relationship(foreign_keys=[allocated_by_id])

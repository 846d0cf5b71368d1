"""Pending grants of a manager or admin role: they take effect only when a second admin confirms them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import Role, Team, User
from .types import UTCDateTime, utcnow

# Roles that open children's records (manager) or every account (admin): granting one needs two admins.
ELEVATED_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


class RoleGrant(db.Model):
    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(
        db.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    # A new account is created inactive and becomes active only with the confirmation.
    activate: Mapped[bool] = mapped_column(default=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    confirmed: Mapped[bool | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    team: Mapped[Team | None] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        return self.decided_at is None

"""Devices: one browser profile on one tablet or phone, enrolled by one worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, UUIDString, utcnow


class Device(db.Model):
    """A device a worker registered after setting their PIN; revoking it makes it wipe on next contact."""

    __tablename__ = "devices"

    # Generated at random on the device: it is the device's name for itself in every API call.
    id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The device's own count, sent with each sync (numbers only, no content): what it holds that has not reached
    # the server. Shown to the admin before a revoke.
    reported_drafts: Mapped[int | None]
    reported_outbox: Mapped[int | None]
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<Device {self.id} user={self.user_id}{' revoked' if self.is_revoked else ''}>"

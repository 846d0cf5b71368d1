"""Teams and the people who use fieldapp."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    WORKER = "worker"
    MANAGER = "manager"
    SUPPORT = "support"
    ADMIN = "admin"


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # None means "use the service default" (22 full-time / 15 part-time).
    caseload_limit_full_time: Mapped[int | None]
    caseload_limit_part_time: Mapped[int | None]
    # The number a worker without data signal texts in an emergency (lone-worker safety, sms: link).
    duty_phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="team", order_by="User.display_name")

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        db.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    part_time: Mapped[bool] = mapped_column(default=False)
    caseload_limit: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    email: Mapped[str | None] = mapped_column(String(255))
    # Carried in every safety alert about this worker, so a manager can ring them at once.
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Stamped into each session at sign-in; raising it ends every session of this user (auth/sessions.py).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Wrong passwords for this username since the user last signed in: told to them at their next sign-in.
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The council identity provider's account for this user, bound at their first single sign-on
    # (fieldapp/auth/oidc/accounts.py): from then on only that (issuer, subject) signs in as them.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))

    team: Mapped[Team | None] = relationship(back_populates="members")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

"""Sessions started through the council's identity provider, and what re-validates them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OidcGrant(db.Model):
    """One single-sign-on session's refresh token, encrypted under the at-rest record keys.

    The session cookie is signed, not encrypted, so the token lives here; the cookie carries only this row's
    random id. Each re-validation spends the token at the provider (a refusal ends the fieldapp session).
    """

    __tablename__ = "oidc_grants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(32))
    refresh_token: Mapped[bytes] = mapped_column(LargeBinary)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Which fieldapp user a provider account is. Roles and teams stay in fieldapp; the provider only vouches.

First sign-in: the configured claim (FIELDAPP_OIDC_USERNAME_CLAIM, default preferred_username) must name an
existing, active fieldapp username, and the provider's subject is then bound to that user. From then on the
user is found by (issuer, subject) alone, and a different subject arriving with the same username is refused:
a renamed or recycled account at the council never inherits someone else's caseload.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ... import audit
from ...extensions import db
from ...models import User


class SignInRefused(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def _inactive() -> SignInRefused:
    return SignInRefused("account_inactive", "Your fieldapp account is switched off. Ask your administrator.")


def match_user(issuer: str, claims: dict, username_claim: str) -> User:
    """The fieldapp user these checked ID-token claims belong to, or SignInRefused."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused("no_subject", "The identity provider did not say who you are.")
    bound = db.session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    if bound is not None:
        if not bound.active:
            raise _inactive()
        return bound
    name = claims.get(username_claim)
    if not isinstance(name, str) or not name.strip():
        raise SignInRefused(
            "no_username_claim", f"The identity provider did not send the {username_claim!r} claim fieldapp needs."
        )
    if username_claim == "email" and claims.get("email_verified") is False:
        raise SignInRefused("email_not_verified", "Your council account's email address is not verified.")
    user = db.session.scalar(select(User).where(func.lower(User.username) == name.strip().lower()))
    if user is None:
        raise SignInRefused(
            "unknown_user",
            "Your council account is not linked to a fieldapp account. Ask your "
            "fieldapp administrator to add you, using your council username.",
        )
    if not user.active:
        raise _inactive()
    if user.oidc_subject is not None:
        raise SignInRefused(
            "subject_mismatch",
            "This fieldapp account is linked to a different council account. Ask your fieldapp administrator.",
        )
    user.oidc_issuer, user.oidc_subject = issuer, subject
    db.session.flush()
    audit.record("oidc_linked", detail=f"user={user.username} subject={subject[:120]}", actor=user)
    return user

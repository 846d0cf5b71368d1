"""Re-validation: a single-sign-on session is checked with the provider every FIELDAPP_OIDC_REVALIDATE_SECONDS.

Where the refresh token lives: in the `oidc_grants` table, AES-GCM encrypted under the at-rest record keys
(records/store.py, rotated with them), bound to its row id. Flask's session cookie is signed but readable by
whoever holds it, so it carries only the row's random id.

The check is a refresh-token grant at the provider, made by the first request after the window passes (claimed
atomically, so concurrent requests of one session never spend the same token twice):
- refused (`invalid_grant`: the account was disabled or deleted at the council, or the grant revoked) → every
  fieldapp session of the user ends at once (auth/sessions.end_sessions), audited; this request goes on signed out.
- unreachable, or any other error → the session is kept and the log says so: a provider outage must not sign
  every worker out mid-visit. The check is tried again after the next window.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

import requests
from authlib.integrations.base_client.errors import OAuthError
from flask import current_app, request, session
from flask_login import current_user, logout_user
from sqlalchemy import delete, update

from ... import audit
from ...extensions import db
from ...models import OidcGrant, User
from ...records.store import record_cipher
from .. import sessions

SESSION_KEY = "_fa_oidc"
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.fromtimestamp(sessions.clock(), UTC)  # the sessions' clock, so tests can move it


def _context(grant_id: str) -> str:
    return f"oidc-grant:{grant_id}"  # a ciphertext copied onto another row will not decrypt there


def keep_refresh_token(user: User, refresh_token: str | None) -> None:
    """After complete_sign_in: remember this session's refresh token (encrypted) for re-validation."""
    now = _now()
    # Grants of sessions that have outlived any session's lifetime are dead weight (and live tokens): drop them.
    lifetime = current_app.permanent_session_lifetime
    db.session.execute(delete(OidcGrant).where(OidcGrant.created_at < now - lifetime))
    if not refresh_token:
        log.warning(
            "oidc: the provider issued no refresh token for %s; this session cannot be re-validated "
            "(add offline_access to FIELDAPP_OIDC_SCOPES?)",
            user.username,
        )
        return
    grant_id = secrets.token_urlsafe(32)
    key_id, blob = record_cipher().encrypt_bytes(refresh_token.encode(), _context(grant_id))
    db.session.add(
        OidcGrant(id=grant_id, user_id=user.id, key_id=key_id, refresh_token=blob, checked_at=now, created_at=now)
    )
    db.session.flush()
    session[SESSION_KEY] = grant_id


def _claim(grant_id: str, user_id: int) -> OidcGrant | None:
    """This request re-validates the grant if its window has passed and no other request got there first."""
    grant = db.session.get(OidcGrant, grant_id)  # a read by key on every request; a write only when due
    now = _now()
    if (
        grant is None
        or grant.user_id != user_id
        or (now - grant.checked_at).total_seconds() < current_app.config["OIDC_REVALIDATE_SECONDS"]
    ):
        return None
    claimed = db.session.execute(
        update(OidcGrant)
        .where(
            OidcGrant.id == grant_id,
            OidcGrant.checked_at == grant.checked_at,
        )
        .values(checked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()  # the claim stands whatever this request's outcome
    return grant if claimed else None


def revalidate_session() -> None:
    """before_request: re-validate a due single-sign-on session at the provider (see the module docstring)."""
    grant_id = session.get(SESSION_KEY)
    if not grant_id or request.endpoint == "static" or not current_user.is_authenticated:
        return
    user = current_user._get_current_object()
    grant = _claim(grant_id, user.id)
    if grant is None:
        return
    from .client import OidcMisconfigured, provider_client

    refresh_token = record_cipher().decrypt_bytes(grant.key_id, grant.refresh_token, _context(grant.id)).decode()
    try:
        # scope="" leaves the parameter out: the same scope as granted (a provider may have dropped
        # offline_access from it, and asking for it again would be refused as invalid_scope).
        token = provider_client().fetch_access_token(grant_type="refresh_token", refresh_token=refresh_token, scope="")
    except OAuthError as error:
        if error.error == "invalid_grant":
            _end(user, grant, error.error)
            return
        log.error("oidc: re-validation of %s's session failed (%s); session kept", user.username, error.error)
        return
    except (requests.RequestException, OSError, OidcMisconfigured) as error:
        log.warning(
            "oidc: provider unreachable re-validating %s's session (%s); session kept, will retry",
            user.username,
            error.__class__.__name__,
        )
        return
    if token.get("refresh_token") and token["refresh_token"] != refresh_token:  # the provider rotated it
        grant.key_id, grant.refresh_token = record_cipher().encrypt_bytes(
            token["refresh_token"].encode(), _context(grant.id)
        )
        db.session.commit()


def _end(user: User, grant: OidcGrant, error: str) -> None:
    subject = user.oidc_subject or ""
    sessions.end_sessions(user, "identity provider refused re-validation")
    audit.record(
        "oidc_revalidation_refused", detail=f"user={user.username} subject={subject[:120]} error={error}", actor=user
    )
    db.session.delete(grant)
    # Committed here: the request that found out answers 401 (or a redirect to sign in) and would roll back.
    db.session.commit()
    logout_user()
    sessions.forget_session()

"""A second factor for local (password) accounts: TOTP codes and single-use recovery codes.

The TOTP secret is encrypted at rest with the app's record key (records/store.py: same key file, rotation and
backup), bound to the user's id. A code is accepted for the current 30-second step or the one either side; the
accepted step is stored and no code of that step or an earlier one is accepted again, so a code seen over a
shoulder or in a log cannot be replayed. The check-and-store is one conditional UPDATE: two requests racing
with the same code cannot both win. Recovery codes are 80 random bits, stored as SHA-256 and spent the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select, update

from .. import audit
from ..extensions import db
from ..models import RecoveryCode, Role, TotpFactor, User, utcnow
from ..records.store import record_cipher
from .sessions import clock, end_sessions

ISSUER = "fieldapp"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10


def _context(user: User) -> str:
    return f"totp-secret:{user.id}"  # a ciphertext copied onto another user's row will not open there


def role_requires_second_factor(role: Role) -> bool:
    return role.value in current_app.config.get("SECOND_FACTOR_REQUIRED_ROLES", ())


def factor_of(user: User) -> TotpFactor | None:
    return db.session.get(TotpFactor, user.id)


def is_enrolled(user: User) -> bool:
    """Whether `user` has a confirmed second factor (an enrolment in progress does not count)."""
    factor = factor_of(user)
    return factor is not None and factor.confirmed_at is not None


def _secret(user: User, factor: TotpFactor) -> str:
    return record_cipher().decrypt_bytes(factor.secret_key_id, factor.secret_ciphertext, _context(user)).decode()


def pending_secret(user: User) -> str:
    """The secret being enrolled, made on first call and kept (encrypted) until confirmed, so a reload shows the
    same one. Refused once a factor is confirmed: resetting it is an admin's job."""
    factor = factor_of(user)
    if factor is not None and factor.confirmed_at is not None:
        raise ValueError("already enrolled")
    if factor is None:
        secret = pyotp.random_base32()  # 160 bits
        key_id, blob = record_cipher().encrypt_bytes(secret.encode(), _context(user))
        db.session.add(TotpFactor(user_id=user.id, secret_key_id=key_id, secret_ciphertext=blob))
        db.session.flush()
        return secret
    return _secret(user, factor)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as a PNG data: URL (the CSP allows data: images; no inline SVG styling needed)."""
    return segno.make(uri, error="m").png_data_uri(scale=5, border=4)


def spaced(secret: str) -> str:
    """The secret in groups of four, easier to type into an authenticator by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normalise(code: str | None) -> str:
    return "".join(code.split()).replace("-", "").lower() if isinstance(code, str) else ""


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now ±1) whose code is `code`, or None."""
    totp = pyotp.TOTP(secret)
    now_step = int(clock() // STEP_SECONDS)
    for step in (now_step, now_step - 1, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _spend_step(user: User, step: int) -> bool:
    """Record `step` as used unless it (or a later one) already was; True when this call won it."""
    table = TotpFactor.__table__
    result = db.session.execute(
        update(table)
        .where(table.c.user_id == user.id, (table.c.last_used_step.is_(None)) | (table.c.last_used_step < step))
        .values(last_used_step=step)
    )
    return result.rowcount == 1


def confirm_enrolment(user: User, code: str | None) -> list[str] | None:
    """Switch the pending factor on if `code` is right; returns the new recovery codes (shown once), else None."""
    factor = factor_of(user)
    code = _normalise(code)
    if factor is None or factor.confirmed_at is not None or not (code.isdigit() and len(code) == 6):
        return None
    step = _matching_step(_secret(user, factor), code)
    if step is None or not _spend_step(user, step):
        return None
    factor.confirmed_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("second_factor_enrolled", detail=f"user={user.username} factor=totp", actor=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(10)  # 80 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    db.session.flush()
    return codes


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class Verdict:
    factor: str | None  # "totp" or "recovery" when accepted
    reason: str = ""  # why not: "missing", "not_enrolled", "wrong_code", "reused_code", "used_recovery_code"

    @property
    def ok(self) -> bool:
        return self.factor is not None


def verify(user: User, code: str | None) -> Verdict:
    """Check a sign-in code (TOTP or recovery) for `user` and spend it. Flushes; the caller audits the outcome."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is None:
        return Verdict(None, "not_enrolled")
    code = _normalise(code)
    if not code:
        return Verdict(None, "missing")
    if code.isdigit() and len(code) == 6:
        step = _matching_step(_secret(user, factor), code)
        if step is None:
            return Verdict(None, "wrong_code")
        return Verdict("totp") if _spend_step(user, step) else Verdict(None, "reused_code")
    table = RecoveryCode.__table__
    spent = db.session.execute(
        update(table)
        .where(table.c.user_id == user.id, table.c.code_hash == _hash(code), table.c.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount == 1:
        return Verdict("recovery")
    used = db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code))
    )
    return Verdict(None, "used_recovery_code" if used else "wrong_code")


def audit_failure(user: User, verdict: Verdict, via: str) -> None:
    """A refused code, in its own transaction so it survives the refused request.

    The request's own transaction is rolled back first (a refusal changes nothing): a conditional UPDATE that
    matched no row still holds SQLite's write lock, which the audit's separate connection would wait on."""
    from .services import note_failed_sign_in

    username = user.username
    db.session.rollback()
    note_failed_sign_in(user)  # someone has the password: the user is told at their next sign-in
    audit.record_now("second_factor_failed", detail=f"user={username} reason={verdict.reason} via={via}", actor=user)


def forget_second_factor(user: User) -> None:
    """Delete `user`'s factor and recovery codes (no audit, sessions untouched: see `reset`). Flushes."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    db.session.expire_all()


def reset(user: User, by: User) -> None:
    """Remove `user`'s second factor and recovery codes and end their sessions (an admin's action; audited).

    If their role requires a factor they are sent to enrolment at their next password sign-in."""
    forget_second_factor(user)
    end_sessions(user, "second factor reset")
    audit.record("second_factor_reset", detail=f"user={user.username}", actor=by)


def enrol_without_code(user: User) -> str:
    """Enrol and confirm a factor for `user` without a code; returns the secret. For fixtures and `fieldapp demo`."""
    secret = pending_secret(user)
    factor_of(user).confirmed_at = utcnow()
    db.session.flush()
    return secret

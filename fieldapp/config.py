"""Settings from the environment (FIELDAPP_*), with generated secrets kept in the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_path_from_env() -> str | None:
    """The instance folder, when FIELDAPP_INSTANCE_PATH moves it."""
    path = os.environ.get("FIELDAPP_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def load_or_create_secret(instance_path: str, filename: str, nbytes: int = 32) -> str:
    """Read a generated secret from the instance folder, creating it (mode 0600) on first use."""
    path = Path(instance_path) / filename
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def settings_from_env(instance_path: str) -> dict:
    """Build the Flask config mapping from FIELDAPP_* variables."""
    default_db = "sqlite:///" + str(Path(instance_path) / "fieldapp.sqlite3")
    return {
        "SECRET_KEY": os.environ.get("FIELDAPP_SECRET_KEY")
        or load_or_create_secret(instance_path, "secret_key"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("FIELDAPP_DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Cookies: HttpOnly and SameSite always; Secure whenever the request came over HTTPS
        # (see security.SecureWhenHttpsSessionInterface) or when forced here.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("FIELDAPP_FORCE_SECURE_COOKIES"),
        "SESSION_COOKIE_NAME": "fieldapp_session",
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("FIELDAPP_SESSION_SECONDS", 8 * 3600)),
        "REMEMBER_COOKIE_DURATION": 0,
        "WTF_CSRF_TIME_LIMIT": None,  # a form left open during a long home visit must still submit
        "RATELIMIT_STORAGE_URI": os.environ.get("FIELDAPP_RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": os.environ.get("FIELDAPP_LOGIN_RATE_LIMIT", "5 per minute;20 per hour"),
        "TRUST_PROXY": _env_bool("FIELDAPP_TRUST_PROXY"),
        # Sealing key pairs (see fieldapp/crypto/sealing.py): a folder of <kid>.pem files, and optionally
        # a PEM given by environment that becomes the current key.
        "SEALING_KEYS_DIR": os.environ.get("FIELDAPP_SEALING_KEYS_DIR")
        or str(Path(instance_path) / "sealing-keys"),
        "SEALING_KEY_PEM": os.environ.get("FIELDAPP_SEALING_KEY_PEM"),
        # The device vault: lock after this many idle seconds; wipe after this many wrong PINs in a row.
        "VAULT_IDLE_SECONDS": int(os.environ.get("FIELDAPP_VAULT_IDLE_SECONDS", 300)),
        "VAULT_MAX_PIN_ATTEMPTS": int(os.environ.get("FIELDAPP_VAULT_MAX_PIN_ATTEMPTS", 5)),
        # Drafts on a device not changed for this many days are listed for the worker's attention (never deleted).
        "STALE_DRAFT_DAYS": int(os.environ.get("FIELDAPP_STALE_DRAFT_DAYS", 14)),
        "DEFAULT_CASELOAD_LIMIT_FULL_TIME": 22,
        "DEFAULT_CASELOAD_LIMIT_PART_TIME": 15,
        # Council wording for record types (renames trademarked methods); default instance/labels.json.
        "LABELS_FILE": os.environ.get("FIELDAPP_LABELS_FILE"),
    }

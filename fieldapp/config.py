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
    from .secret_files import write_secret_file

    path = Path(instance_path) / filename
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(nbytes)
    # Exclusive: two processes starting together must not each write a different key.
    if not write_secret_file(path, value, exclusive=True):
        return path.read_text().strip()
    return value


def shared_state_settings() -> dict:
    """What several web workers must share (sign-in throttling counters): Redis when FIELDAPP_REDIS_URL is set."""
    redis_url = os.environ.get("FIELDAPP_REDIS_URL") or None
    return {
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": os.environ.get("FIELDAPP_RATELIMIT_STORAGE_URI") or redis_url or "memory://",
        # Several fieldapp instances (or test runs) may share one Redis: each keeps to its own prefix.
        "RATELIMIT_KEY_PREFIX": os.environ.get("FIELDAPP_REDIS_PREFIX", "fieldapp"),
        # Redis unreachable: count in the worker's memory meanwhile rather than refuse every sign-in with a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    }


def server_settings() -> dict:
    """`fieldapp serve`: gunicorn's size (0 = from the CPU count), threads per worker, the log level."""
    return {
        "WEB_WORKERS": int(os.environ.get("FIELDAPP_WEB_WORKERS", "0")),
        "WEB_THREADS": int(os.environ.get("FIELDAPP_WEB_THREADS", "4")),
        "WEB_TIMEOUT": int(os.environ.get("FIELDAPP_WEB_TIMEOUT", "60")),
        "LOG_LEVEL": os.environ.get("FIELDAPP_LOG_LEVEL", "INFO").upper(),
    }


SMTP_SECURITY_CHOICES = ("starttls", "tls", "none")


def _smtp_security(value: str) -> str:
    value = value.strip().lower()
    if value not in SMTP_SECURITY_CHOICES:
        raise ValueError(f"FIELDAPP_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}, not {value!r}")
    return value


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip().lower() for item in os.environ.get(name, default).split(",") if item.strip()]


# The browser vendors' push services (Chrome/Edge via FCM, Firefox, Windows/WNS, Safari/APNs). A subscription's
# endpoint must be on one of these hosts ("*." matches any subdomain), so the server never POSTs elsewhere.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com,android.googleapis.com,updates.push.services.mozilla.com,"
    "push.services.mozilla.com,*.notify.windows.com,web.push.apple.com,*.push.apple.com"
)


def safety_alert_settings() -> dict:
    """How safety alerts are sent (web push keys, email) and the escalator's pace (FIELDAPP_* variables)."""
    return {
        "VAPID_PRIVATE_KEY": os.environ.get("FIELDAPP_VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": os.environ.get("FIELDAPP_VAPID_SUBJECT", "mailto:fieldapp-admin@example.invalid"),
        "SMTP_HOST": os.environ.get("FIELDAPP_SMTP_HOST"),
        "SMTP_PORT": int(os.environ.get("FIELDAPP_SMTP_PORT", "25")),
        "SMTP_FROM": os.environ.get("FIELDAPP_SMTP_FROM", "fieldapp-safety@localhost"),
        "SMTP_USERNAME": os.environ.get("FIELDAPP_SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("FIELDAPP_SMTP_PASSWORD"),
        "DUTY_DESK_PHONE": os.environ.get("FIELDAPP_DUTY_DESK_PHONE", ""),
        "TIMEZONE": os.environ.get("FIELDAPP_TIMEZONE", "Europe/London"),
        "ESCALATOR_TICK_SECONDS": float(os.environ.get("FIELDAPP_ESCALATOR_TICK_SECONDS", "0.5")),
        "SAFETY_DELIVERY_LEASE_SECONDS": int(os.environ.get("FIELDAPP_SAFETY_DELIVERY_LEASE_SECONDS", "60")),
        # Panic and duress are sent from the request's own thread straight after commit, not at the next tick.
        "SAFETY_DELIVER_ON_REQUEST": True,
    }


def safety_server_settings() -> dict:
    """Push-endpoint policy, the priority lane, escalator liveness and metrics (FIELDAPP_* variables)."""
    return {
        "PUSH_ALLOWED_HOSTS": _env_list("FIELDAPP_PUSH_ALLOWED_HOSTS", DEFAULT_PUSH_HOSTS),
        # Exact origins (scheme://host:port) admitted even on http or a private address: for a test's local
        # push service only. Empty in production; nothing else relaxes the https / public-address rules.
        "PUSH_TEST_ORIGINS": _env_list("FIELDAPP_PUSH_TEST_ORIGINS", ""),
        "PUSH_MAX_SUBSCRIPTIONS_PER_USER": int(os.environ.get("FIELDAPP_PUSH_MAX_SUBSCRIPTIONS_PER_USER", 5)),
        # Panic and duress: short timeouts, so a dead endpoint costs seconds, and only its own thread.
        "PRIORITY_CONNECT_TIMEOUT_SECONDS": float(os.environ.get("FIELDAPP_PRIORITY_CONNECT_TIMEOUT_SECONDS", 2)),
        "PRIORITY_READ_TIMEOUT_SECONDS": float(os.environ.get("FIELDAPP_PRIORITY_READ_TIMEOUT_SECONDS", 4)),
        "PUSH_CONNECT_TIMEOUT_SECONDS": float(os.environ.get("FIELDAPP_PUSH_CONNECT_TIMEOUT_SECONDS", 3)),
        "PUSH_READ_TIMEOUT_SECONDS": float(os.environ.get("FIELDAPP_PUSH_READ_TIMEOUT_SECONDS", 8)),
        # An escalator heartbeat older than this means nobody is sending safety alerts.
        "ESCALATOR_HEARTBEAT_STALE_SECONDS": float(os.environ.get("FIELDAPP_ESCALATOR_HEARTBEAT_STALE_SECONDS", 30)),
        # While no heartbeat is fresh, web requests sweep due work, at most once per this many seconds per process.
        "SAFETY_BACKSTOP_SECONDS": float(os.environ.get("FIELDAPP_SAFETY_BACKSTOP_SECONDS", 5)),
        "SAFETY_LIVENESS_CHECK": _env_bool("FIELDAPP_SAFETY_LIVENESS_CHECK", True),
        # This many wrong check-out PINs in one session alert every level as a possible duress.
        "SAFETY_WRONG_PIN_ALERT_AT": int(os.environ.get("FIELDAPP_SAFETY_WRONG_PIN_ALERT_AT", 3)),
        # /metrics: with a token, `Authorization: Bearer <token>` from anywhere; without one, loopback only.
        "METRICS_TOKEN": os.environ.get("FIELDAPP_METRICS_TOKEN"),
    }


def settings_from_env(instance_path: str) -> dict:
    """Build the Flask config mapping from FIELDAPP_* variables."""
    default_db = "sqlite:///" + str(Path(instance_path) / "fieldapp.sqlite3")
    return {
        "SECRET_KEY": os.environ.get("FIELDAPP_SECRET_KEY") or load_or_create_secret(instance_path, "secret_key"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("FIELDAPP_DATABASE_URL", default_db),
        # hide_parameters: a failed statement's error (and so a log line) never carries the values it wrote.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # Cookies: HttpOnly and SameSite always; Secure whenever the request came over HTTPS
        # (see security.SecureWhenHttpsSessionInterface) or when forced here.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("FIELDAPP_FORCE_SECURE_COOKIES"),
        "SESSION_COOKIE_NAME": "fieldapp_session",
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("FIELDAPP_SESSION_SECONDS", 8 * 3600)),
        "REMEMBER_COOKIE_DURATION": 0,
        "WTF_CSRF_TIME_LIMIT": None,  # a form left open during a long home visit must still submit
        **shared_state_settings(),
        # Sign-in throttle (auth/throttle.py): LOGIN_RATE_LIMIT blocks one username from one address; the
        # per-address limit stops spraying many usernames; the per-username limit only slows strangers (a browser
        # the user signed in from before is exempt), so nobody can lock a worker out.
        "LOGIN_RATE_LIMIT": os.environ.get("FIELDAPP_LOGIN_RATE_LIMIT", "5 per minute;20 per hour"),
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get("FIELDAPP_LOGIN_ADDRESS_RATE_LIMIT", "20 per minute;200 per hour"),
        "LOGIN_USERNAME_RATE_LIMIT": os.environ.get("FIELDAPP_LOGIN_USERNAME_RATE_LIMIT", "10 per minute;50 per hour"),
        # A session ends after this many seconds without a request, besides PERMANENT_SESSION_LIFETIME after sign-in.
        "SESSION_IDLE_SECONDS": int(os.environ.get("FIELDAPP_SESSION_IDLE_SECONDS", 30 * 60)),
        # Safety email: "starttls" (default), "tls" (implicit, usually port 465) or "none" (explicit opt-out);
        # SMTP_CA_FILE trusts a private CA for the mail server's certificate.
        "SMTP_SECURITY": _smtp_security(os.environ.get("FIELDAPP_SMTP_SECURITY", "starttls")),
        "SMTP_CA_FILE": os.environ.get("FIELDAPP_SMTP_CA_FILE"),
        "TRUST_PROXY": _env_bool("FIELDAPP_TRUST_PROXY"),
        # Sealing key pairs (see fieldapp/crypto/sealing.py): a folder of <kid>.pem files, and optionally
        # a PEM given by environment that becomes the current key.
        "SEALING_KEYS_DIR": os.environ.get("FIELDAPP_SEALING_KEYS_DIR") or str(Path(instance_path) / "sealing-keys"),
        "SEALING_KEY_PEM": os.environ.get("FIELDAPP_SEALING_KEY_PEM"),
        # At-rest record keys ("kid:base64key,…", the first current); unset: generated into the instance folder.
        "RECORD_KEYS": os.environ.get("FIELDAPP_RECORD_KEYS"),
        # The device vault: lock after this many idle seconds; wipe after this many wrong PINs in a row.
        "VAULT_IDLE_SECONDS": int(os.environ.get("FIELDAPP_VAULT_IDLE_SECONDS", 300)),
        "VAULT_MAX_PIN_ATTEMPTS": int(os.environ.get("FIELDAPP_VAULT_MAX_PIN_ATTEMPTS", 5)),
        # Drafts on a device not changed for this many days are listed for the worker's attention (never deleted).
        "STALE_DRAFT_DAYS": int(os.environ.get("FIELDAPP_STALE_DRAFT_DAYS", 14)),
        "DEFAULT_CASELOAD_LIMIT_FULL_TIME": 22,
        "DEFAULT_CASELOAD_LIMIT_PART_TIME": 15,
        # Request bodies: 1 MiB for everything but a sync push, which carries sealed records and their photos.
        "MAX_CONTENT_LENGTH": int(os.environ.get("FIELDAPP_MAX_REQUEST_BYTES", 1024 * 1024)),
        "SYNC_PUSH_MAX_BYTES": int(os.environ.get("FIELDAPP_SYNC_PUSH_MAX_BYTES", 48 * 1024 * 1024)),
        # Council wording for record types (renames trademarked methods); default instance/labels.json.
        "LABELS_FILE": os.environ.get("FIELDAPP_LABELS_FILE"),
        # The address managers open from a safety alert's email or push (e.g. https://fieldapp.council.example).
        # Unset: taken from the request that raised the alert; alerts the escalator raises then carry a path only.
        "PUBLIC_URL": os.environ.get("FIELDAPP_PUBLIC_URL", "").rstrip("/"),
        # Pull window (docs/sync-protocol.md): devices are sent records about the last N months plus the
        # latest record of each of these types (the Signs of Safety map, which holds the safety plan, and the
        # safety rating); a worker online fetches a child's older records from the child's records list.
        # 0 months: every record travels.
        "PULL_WINDOW_MONTHS": int(os.environ.get("FIELDAPP_PULL_WINDOW_MONTHS", 12)),
        "PULL_LATEST_TYPES": os.environ.get("FIELDAPP_PULL_LATEST_TYPES", "sos_map,safety_rating"),
        # A first pull (a device with nothing) sends whole children, up to this many records a page (and 8 MiB
        # of bodies) whatever the device's `limit`: each page costs the same round trips, so fewer is faster.
        "PULL_FIRST_PAGE_RECORDS": int(os.environ.get("FIELDAPP_PULL_FIRST_PAGE_RECORDS", 2000)),
        **server_settings(),
        **second_factor_settings(),
        **safety_alert_settings(),
        **safety_server_settings(),
        **delivery_settings(),
        **oidc_settings(),
    }


SECOND_FACTOR_ROLE_NAMES = {"workers": "worker", "managers": "manager", "support": "support", "admins": "admin"}


def _second_factor_roles(value: str) -> list[str]:
    names = [item.strip().lower() for item in value.split(",") if item.strip() and item.strip().lower() != "none"]
    unknown = [name for name in names if name not in SECOND_FACTOR_ROLE_NAMES]
    if unknown:
        raise ValueError(
            f"FIELDAPP_REQUIRE_SECOND_FACTOR takes {', '.join(SECOND_FACTOR_ROLE_NAMES)} or none, "
            f"not {', '.join(unknown)}"
        )
    return [SECOND_FACTOR_ROLE_NAMES[name] for name in names]


def second_factor_settings() -> dict:
    """Which roles must have a second factor for a password sign-in (auth/second_factor.py)."""
    return {
        # Role values; "none" switches the requirement off (for a deployment where everyone signs in via OIDC).
        "SECOND_FACTOR_REQUIRED_ROLES": _second_factor_roles(
            os.environ.get("FIELDAPP_REQUIRE_SECOND_FACTOR", "managers,admins")
        ),
        # The half-signed-in state between the password and the code lasts this long.
        "SECOND_FACTOR_STEP_SECONDS": int(os.environ.get("FIELDAPP_SECOND_FACTOR_STEP_SECONDS", 300)),
        # Wrong codes allowed in one half-signed-in state before the password must be entered again.
        "SECOND_FACTOR_MAX_TRIES": int(os.environ.get("FIELDAPP_SECOND_FACTOR_MAX_TRIES", 5)),
    }


def delivery_settings() -> dict:
    """Delivery of signed-off records into the council's case record (fieldapp/delivery/). Nothing is delivered
    unless a destination is configured; the webhook secret lives here, never in the database."""
    return {
        "DELIVERY_WEBHOOK_URL": os.environ.get("FIELDAPP_DELIVERY_WEBHOOK_URL"),
        "DELIVERY_WEBHOOK_SECRET": os.environ.get("FIELDAPP_DELIVERY_WEBHOOK_SECRET"),
        "DELIVERY_ALLOWED_HOSTS": _env_list("FIELDAPP_DELIVERY_ALLOWED_HOSTS", ""),
        "DELIVERY_CA_BUNDLE": os.environ.get("FIELDAPP_DELIVERY_CA_BUNDLE"),  # a council's own CA, if not public
        "DELIVERY_FOLDER": os.environ.get("FIELDAPP_DELIVERY_FOLDER"),
        "DELIVERY_MAX_ATTEMPTS": int(os.environ.get("FIELDAPP_DELIVERY_MAX_ATTEMPTS", 10)),
        "DELIVERY_RETRY_BASE_SECONDS": float(os.environ.get("FIELDAPP_DELIVERY_RETRY_BASE_SECONDS", 15)),
        "DELIVERY_TIMEOUT_SECONDS": float(os.environ.get("FIELDAPP_DELIVERY_TIMEOUT_SECONDS", 10)),
        # A claimed job returns to the queue after this (a killed worker's claims): longer than any delivery.
        "DELIVERY_LEASE_SECONDS": float(os.environ.get("FIELDAPP_DELIVERY_LEASE_SECONDS", 600)),
    }


LOCAL_PASSWORD_CHOICES = ("all", "admins", "off")


def _local_passwords(value: str) -> str:
    value = value.strip().lower()
    if value not in LOCAL_PASSWORD_CHOICES:
        raise ValueError(f"FIELDAPP_LOCAL_PASSWORDS must be one of {', '.join(LOCAL_PASSWORD_CHOICES)}, not {value!r}")
    return value


def oidc_settings() -> dict:
    """Single sign-on through the council's OpenID Connect provider (fieldapp/auth/oidc/). Off without an issuer.
    Every provider address comes from here (discovery at <issuer>/.well-known/openid-configuration), never from
    a request."""
    return {
        "OIDC_ISSUER": os.environ.get("FIELDAPP_OIDC_ISSUER", "").rstrip("/"),
        "OIDC_CLIENT_ID": os.environ.get("FIELDAPP_OIDC_CLIENT_ID"),
        "OIDC_CLIENT_SECRET": os.environ.get("FIELDAPP_OIDC_CLIENT_SECRET"),
        # offline_access: Entra ID issues the refresh token that re-validation needs only with it.
        "OIDC_SCOPES": os.environ.get("FIELDAPP_OIDC_SCOPES", "openid profile email offline_access"),
        # The ID-token claim that names an existing fieldapp username on a first sign-in (never a display name).
        "OIDC_USERNAME_CLAIM": os.environ.get("FIELDAPP_OIDC_USERNAME_CLAIM", "preferred_username"),
        "OIDC_DISPLAY_NAME": os.environ.get("FIELDAPP_OIDC_DISPLAY_NAME", "Sign in with your council account"),
        # all: everyone may use a local password; admins: break-glass admin accounts only; off: nobody.
        "LOCAL_PASSWORDS": _local_passwords(os.environ.get("FIELDAPP_LOCAL_PASSWORDS", "all")),
        # A session started through the provider is checked with it (a token refresh) this often.
        "OIDC_REVALIDATE_SECONDS": int(os.environ.get("FIELDAPP_OIDC_REVALIDATE_SECONDS", 300)),
        "OIDC_TIMEOUT_SECONDS": float(os.environ.get("FIELDAPP_OIDC_TIMEOUT_SECONDS", 5)),
        # Tests only: a provider on http://127.0.0.1. Without it the issuer must be https.
        "OIDC_ALLOW_HTTP_LOOPBACK": _env_bool("FIELDAPP_OIDC_ALLOW_HTTP_LOOPBACK"),
    }

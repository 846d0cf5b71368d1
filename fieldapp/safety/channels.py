"""Delivery channels: Web Push (pywebpush + VAPID) and email over SMTP. Each send returns an outcome, never raises."""

from __future__ import annotations

import base64
import json
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import serialization
from flask import Flask
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from ..secret_files import write_secret_file
from .endpoints import EndpointRefused, check_endpoint

VAPID_KEY_FILE = "vapid_private.pem"
PUSH_TTL_SECONDS = 15 * 60  # an alert older than this is better seen on the board than as a late push


class VapidConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str
    gone: bool = False  # the push service says the subscription no longer exists (404/410)
    status: int | None = None


@dataclass(frozen=True)
class PushTarget:
    """Plain values of a subscription, safe to hand to a sender thread (an ORM row is not)."""

    endpoint: str
    p256dh: str
    auth: str


def validate_subject(subject: str) -> str:
    """VAPID subject: a mailto: address or an https: URL, as RFC 8292 requires."""
    parsed = urlparse(subject or "")
    if parsed.scheme == "mailto" and "@" in parsed.path:
        return subject
    if parsed.scheme == "https" and parsed.netloc:
        return subject
    raise VapidConfigError(f"VAPID subject must be a mailto: or https: URL, not {subject!r}")


def generate_vapid_key(instance_path: str, force: bool = False) -> Path:
    """Write a new P-256 VAPID private key (PEM, mode 0600) into the instance folder."""
    path = Path(instance_path) / VAPID_KEY_FILE
    if path.exists() and not force:
        return path
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem()
    write_secret_file(path, pem)
    return path


def load_vapid(app: Flask) -> Vapid | None:
    """The VAPID key from FIELDAPP_VAPID_PRIVATE_KEY (PEM or base64url raw) or instance/, else None."""
    cached = app.extensions.get("fieldapp_vapid")
    if cached is not None:
        return cached
    configured = app.config.get("VAPID_PRIVATE_KEY")
    path = Path(app.instance_path) / VAPID_KEY_FILE
    if configured:
        vapid = Vapid.from_pem(configured.encode()) if "BEGIN" in configured else Vapid.from_string(configured)
    elif path.exists():
        vapid = Vapid.from_file(str(path))
    else:
        return None
    app.extensions["fieldapp_vapid"] = vapid
    return vapid


def vapid_public_key(vapid: Vapid) -> str:
    """The applicationServerKey browsers need: the uncompressed P-256 point, base64url without padding."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_http = threading.local()


class NoRedirectSession(requests.Session):
    """A push service answers; it never redirects. Following one would let an endpoint aim the server elsewhere."""

    def request(self, method, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def _requests_session() -> requests.Session:
    # One keep-alive session per sending thread: a new TLS handshake per push costs more than the push.
    if not hasattr(_http, "session"):
        _http.session = NoRedirectSession()
    return _http.session


def push_timeout(app: Flask, priority: bool) -> tuple[float, float]:
    """(connect, read) seconds: short for the priority lane, so a dead endpoint costs little and only itself."""
    prefix = "PRIORITY" if priority else "PUSH"
    return (
        float(app.config.get(f"{prefix}_CONNECT_TIMEOUT_SECONDS", 3)),
        float(app.config.get(f"{prefix}_READ_TIMEOUT_SECONDS", 8)),
    )


def send_push(app: Flask, subscription: PushTarget, payload: dict, priority: bool = False) -> Outcome:
    vapid = load_vapid(app)
    if vapid is None:
        return Outcome(False, "no VAPID key: run `fieldapp vapid generate`")
    try:
        # Again at send time: the name may resolve elsewhere now than when the browser subscribed.
        check_endpoint(subscription.endpoint, app.config)
    except EndpointRefused as error:
        return Outcome(False, f"push endpoint refused: {error}", gone=True)
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        response = webpush(
            info,
            json.dumps(payload),
            vapid_private_key=vapid,
            # pywebpush writes aud/exp into the dict it is given: a fresh one every time.
            vapid_claims={"sub": validate_subject(app.config["VAPID_SUBJECT"])},
            ttl=PUSH_TTL_SECONDS,
            timeout=push_timeout(app, priority),
            requests_session=_requests_session(),
            headers={"Urgency": "high"},
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status is not None and 300 <= status < 400:
            return Outcome(False, f"push endpoint redirected ({status}): not followed", gone=True, status=status)
        return Outcome(False, f"push refused: {status or error}", gone=status in (404, 410), status=status)
    except (requests.RequestException, VapidConfigError, ValueError) as error:
        return Outcome(False, f"push failed: {error.__class__.__name__}: {error}"[:500])
    return Outcome(True, f"push accepted: {response.status_code}", status=response.status_code)


def smtp_connection(config) -> smtplib.SMTP:
    """An SMTP connection secured as SMTP_SECURITY says: STARTTLS (default) or implicit TLS, both with the
    certificate and host name verified (SMTP_CA_FILE for a private CA); "none" only when explicitly chosen.
    A server that does not offer STARTTLS is refused before anything (a password, a message) is sent."""
    host, port = config["SMTP_HOST"], int(config.get("SMTP_PORT", 25))
    timeout = config.get("SMTP_TIMEOUT_SECONDS", 10)
    security = config.get("SMTP_SECURITY", "starttls")
    if security == "none":
        return smtplib.SMTP(host, port, timeout=timeout)
    context = ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)
    if security == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise smtplib.SMTPNotSupportedError(
                "the mail server does not offer STARTTLS; set FIELDAPP_SMTP_SECURITY=none to send without TLS"
            )
        smtp.starttls(context=context)
        smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_email(app: Flask, to: str, subject: str, body: str) -> Outcome:
    config = app.config
    message = EmailMessage()
    message["From"] = config.get("SMTP_FROM", "fieldapp@localhost")
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtp_connection(config) as smtp:
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        return Outcome(False, f"email failed: {error.__class__.__name__}: {error}"[:500])
    return Outcome(True, "email accepted by SMTP server")

"""Security headers, a strict CSP and session cookies that turn Secure over HTTPS."""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

# No 'unsafe-inline' anywhere: templates carry no inline script, style or event handler.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()",
}


class SecureWhenHttpsSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request arrived over HTTPS.

    The embedded default serves plain HTTP on 127.0.0.1, where a Secure cookie would never be
    sent back; behind the production HTTPS proxy (with FIELDAPP_TRUST_PROXY) it always is Secure.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Pages about children must never linger in the browser's HTTP cache on a shared or lost device.
    if response.mimetype in {
        "text/html",
        "application/json",
        "text/csv",
        "application/pdf",
    } and not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    app.session_interface = SecureWhenHttpsSessionInterface()
    if app.config.get("TRUST_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.after_request(add_security_headers)

"""The provider as Authlib sees it: one registered client per app, built from admin configuration only."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import abort, current_app

from .methods import oidc_enabled
from .state_cookie import FlowCookieOAuth

NAME = "council"
EXTENSION = "fieldapp_oidc"


class OidcMisconfigured(RuntimeError):
    """The configured issuer cannot be used (plain http outside tests, or discovery names another issuer)."""


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_issuer(issuer: str, allow_http_loopback: bool) -> None:
    """https only. Authlib itself lets http://127.0.0.1 through (native-app loopback redirects), so fieldapp
    refuses it unless the test-only FIELDAPP_OIDC_ALLOW_HTTP_LOOPBACK is set."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and allow_http_loopback and _is_loopback(parts.hostname):
        return
    raise OidcMisconfigured(f"FIELDAPP_OIDC_ISSUER must be an https URL, not {issuer!r}")


def provider_client():
    """The Authlib client for the configured provider (404 when single sign-on is off)."""
    if not oidc_enabled():
        abort(404)
    config = current_app.config
    issuer = config["OIDC_ISSUER"]
    check_issuer(issuer, config.get("OIDC_ALLOW_HTTP_LOOPBACK", False))
    key = (issuer, config["OIDC_CLIENT_ID"])
    cached = current_app.extensions.get(EXTENSION)
    if cached is None or cached[0] != key:
        oauth = FlowCookieOAuth(current_app)
        client = oauth.register(
            NAME,
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": config["OIDC_SCOPES"],
                "code_challenge_method": "S256",
                "default_timeout": config["OIDC_TIMEOUT_SECONDS"],
            },
        )
        cached = current_app.extensions[EXTENSION] = (key, client)
    client = cached[1]
    metadata = client.load_server_metadata()
    # A discovery document naming another issuer would have us accept that issuer's tokens (mix-up).
    if metadata.get("issuer", "").rstrip("/") != issuer:
        current_app.extensions.pop(EXTENSION, None)
        raise OidcMisconfigured(f"the discovery document at {issuer} names issuer {metadata.get('issuer')!r}")
    return client

"""/login/oidc sends the browser to the provider; /login/oidc/callback signs the user in (or says why not)."""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from flask import current_app, g, redirect, render_template, request, session, url_for
from joserfc.errors import JoseError

from ... import audit
from ..next_url import safe_next_path
from ..second_step import PROVIDER_VERIFIED_KEY
from ..services import complete_sign_in
from . import bp
from .accounts import SignInRefused, match_user
from .client import OidcMisconfigured, provider_client
from .grants import keep_refresh_token
from .state_cookie import read_flow

log = logging.getLogger(__name__)


def _redirect_uri() -> str:
    public = current_app.config.get("PUBLIC_URL")
    return f"{public}{url_for('oidc.callback')}" if public else url_for("oidc.callback", _external=True)


def _refused(status: int, reason: str, message: str, subject: str = ""):
    # record_now: the refusal (a 4xx) rolls the request back, and the attempt must stay in the trail.
    audit.record_now(
        "login_failed", detail=f"method=oidc reason={reason}" + (f" subject={subject[:120]}" if subject else "")
    )
    return render_template("auth/oidc_refused.html", message=message), status


def _unavailable(error: Exception):
    log.error("oidc: %s", error)
    return render_template(
        "auth/oidc_refused.html",
        message="Signing in with your council account is not working "
        "right now. Try again later, or tell your administrator.",
    ), 503


@bp.get("/login/oidc")
def start():
    """Off to the provider: Authlib adds state, nonce and a PKCE (S256) challenge, kept in this session."""
    try:
        client = provider_client()
    except (OidcMisconfigured, requests.RequestException) as error:
        return _unavailable(error)
    # Travels with Authlib's state in the flow cookie (state_cookie.py), not in the session.
    g.oidc_flow = {"popup": request.args.get("popup") == "1", "next": safe_next_path(request.args.get("next"))}
    return client.authorize_redirect(_redirect_uri())


@bp.get("/login/oidc/callback")
def callback():
    try:
        client = provider_client()
    except (OidcMisconfigured, requests.RequestException) as error:
        return _unavailable(error)
    flow = read_flow()
    config = current_app.config
    # Authlib checks the issuer, expiry and nonce by default, but the audience only through `azp`: a token for
    # another client that names us as azp would pass (tests/oidc: wrong_aud_our_azp). So the audience is explicit.
    # The issuer exactly as discovery spells it (client.py has checked it is the configured one, modulo a "/").
    expected = {
        "iss": {"essential": True, "value": client.load_server_metadata()["issuer"]},
        "aud": {"essential": True, "value": config["OIDC_CLIENT_ID"]},
    }
    try:
        token = client.authorize_access_token(claims_options=expected)
    except requests.RequestException as error:
        return _unavailable(error)
    except (AuthlibBaseError, JoseError) as error:
        # A replayed or foreign state, a refusal at the provider, or an ID token whose signature, issuer,
        # audience, expiry or nonce does not check out.
        reason = getattr(error, "error", None) or error.__class__.__name__
        return _refused(
            400, str(reason)[:60], "Signing in with your council account did not complete. Please start again."
        )
    claims = token.get("userinfo")
    if not claims:  # no ID token at all: nothing vouches for who this is
        return _refused(400, "no_id_token", "The identity provider did not say who you are.")
    try:
        user = match_user(config["OIDC_ISSUER"], dict(claims), config["OIDC_USERNAME_CLAIM"])
    except SignInRefused as refusal:
        return _refused(403, refusal.reason, refusal.message, subject=str(claims.get("sub", "")))
    complete_sign_in(user, detail=f"method=oidc subject={claims['sub'][:120]}")
    # The provider enforced the council's own multi-factor sign-in: fieldapp's TOTP is for local passwords only.
    session[PROVIDER_VERIFIED_KEY] = True
    keep_refresh_token(user, token.get("refresh_token"))
    if flow.get("popup"):
        return render_template("auth/oidc_done.html")
    from ..views import HOME_BY_ROLE

    return redirect(flow.get("next") or url_for(HOME_BY_ROLE[user.role]))

"""The sign-in flow's state (state, nonce, PKCE verifier, popup/next) in a cookie of its own, not the session.

Flask's session is one cookie that every response may rewrite. While the provider's pages are open (in the app's
popup above all), the app keeps calling the API (it polls /api/session); a response that rewrites the session
from a copy read before the flow began would drop Authlib's state and the callback would fail as a mismatch
(seen in tests/browser/test_oidc_sign_in.py). This cookie is sent only to /login/oidc*, signed with the app's
secret key, short-lived, and deleted when the callback uses it, so a replayed callback finds nothing.
"""

from __future__ import annotations

from authlib.integrations.flask_client import FlaskIntegration, OAuth
from flask import after_this_request, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "fieldapp_oidc_state"
PATH = "/login/oidc"
MAX_AGE = 600  # ten minutes to sign in at the provider


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="fieldapp-oidc-state")


def read_flow() -> dict:
    """This browser's flow, if its cookie is present, genuine and fresh; else {}."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        value = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def _write(value: dict | None) -> None:
    @after_this_request
    def set_cookie(response):
        if value is None:
            response.delete_cookie(COOKIE, path=PATH)
        else:
            response.set_cookie(
                COOKIE,
                _serializer().dumps(value),
                max_age=MAX_AGE,
                path=PATH,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure,
            )
        return response


class StateCookieIntegration(FlaskIntegration):
    """Authlib's state storage, moved from the session to the flow cookie (the `session` argument is unused)."""

    def get_state_data(self, session, state):
        flow = read_flow()
        return flow.get("data") if state and flow.get("state") == state else None

    def set_state_data(self, session, state, data):
        _write({"state": state, "data": data, **g.get("oidc_flow", {})})

    def clear_state_data(self, session, state):
        _write(None)


class FlowCookieOAuth(OAuth):
    framework_integration_cls = StateCookieIntegration

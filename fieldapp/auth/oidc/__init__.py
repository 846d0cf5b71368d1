"""Single sign-on through the council's OpenID Connect provider (Authlib's Flask client).

`client.py` talks to the provider (discovery, code flow with PKCE, state and nonce, ID-token checks);
`accounts.py` decides which fieldapp user a provider account is; `grants.py` keeps each single-sign-on session's
refresh token (encrypted) and re-validates the session with it; `methods.py` says which sign-in methods are on;
`views.py` holds the two routes. Nothing here runs unless FIELDAPP_OIDC_ISSUER and a client id are set.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("oidc", __name__)


def init_app(app: Flask) -> None:
    """Register the routes, the template's view of the sign-in methods and the per-request re-validation."""
    from . import views  # noqa: F401  (registers routes on bp; imported here, as auth.services imports methods)
    from .grants import revalidate_session
    from .methods import sign_in_methods

    app.register_blueprint(bp)
    app.context_processor(lambda: {"sign_in_methods": sign_in_methods()})
    app.before_request(revalidate_session)

"""Which ways of signing in are on: the council's provider, local passwords (for everyone, admins only, nobody)."""

from __future__ import annotations

from flask import current_app

from ...models import Role, User


def oidc_enabled() -> bool:
    config = current_app.config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def password_allowed(user: User) -> bool:
    """Whether `user` may sign in with a local password: FIELDAPP_LOCAL_PASSWORDS keeps them for break-glass
    admin accounts only ("admins"), for nobody ("off") or for everyone ("all", the default)."""
    mode = current_app.config.get("LOCAL_PASSWORDS", "all")
    return mode == "all" or (mode == "admins" and user.role == Role.ADMIN)


def sign_in_methods() -> dict:
    """For the login page and the offline app: is single sign-on on (and its button's words), and are passwords."""
    config = current_app.config
    oidc = {"label": config["OIDC_DISPLAY_NAME"], "start": "/login/oidc"} if oidc_enabled() else None
    return {"oidc": oidc, "passwords": config.get("LOCAL_PASSWORDS", "all")}

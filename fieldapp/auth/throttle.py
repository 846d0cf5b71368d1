"""Sign-in throttling that stops guessing without letting a stranger lock a worker out.

Three budgets, shared by the sign-in form and the app's JSON sign-in, counted before any body is parsed:
- one username from one address (LOGIN_RATE_LIMIT): blocks; this is what stops guessing from one place;
- one address (LOGIN_ADDRESS_RATE_LIMIT): stops one place spraying many usernames;
- one username from anywhere (LOGIN_USERNAME_RATE_LIMIT, counting failures only): slows guessing spread over
  many addresses. A browser the user has signed in from before carries a signed "known device" cookie naming
  them; it is exempt from this and the per-address budget, so strangers cannot lock the user out of it.
The username is read only from a small body: a large one is refused with 413 after it is counted, unread.
"""

from __future__ import annotations

from flask import Flask, abort, after_this_request, current_app, g, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many

from ..errors import error_response
from ..extensions import limiter

SIGN_IN_BODY_LIMIT = 8 * 1024  # a username and a password: never more than a few hundred bytes
KNOWN_DEVICE_COOKIE = "fieldapp_known_device"
KNOWN_DEVICE_MAX_AGE = 180 * 24 * 3600
KNOWN_DEVICE_NAMES = 5  # a shared office computer remembers a few people


def _body_is_small() -> bool:
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return False
    return (request.content_length or 0) <= SIGN_IN_BODY_LIMIT


def submitted_username() -> str:
    """The username a sign-in request names, read only from a small body ("" when there is none to read)."""
    if "sign_in_username" not in g:
        submitted = None
        if request.method == "POST" and _body_is_small():
            if request.is_json:
                body = request.get_json(silent=True)
                submitted = body.get("username") if isinstance(body, dict) else None
            elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                submitted = request.form.get("username")
        g.sign_in_username = submitted.strip().lower()[:80] if isinstance(submitted, str) else ""
    return g.sign_in_username


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="fieldapp-known-device")


def _known_names() -> list[str]:
    token = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not token:
        return []
    try:
        names = _serializer().loads(token, max_age=KNOWN_DEVICE_MAX_AGE)
    except BadSignature:
        return []
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def is_known_device() -> bool:
    """This browser has signed in as the username now being tried."""
    username = submitted_username()
    return bool(username) and username in _known_names()


def remember_device(username: str) -> None:
    """After a successful sign-in: mark this browser as one `username` uses (a signed, HttpOnly cookie)."""
    names = [username] + [name for name in _known_names() if name != username]
    token = _serializer().dumps(names[:KNOWN_DEVICE_NAMES])

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            KNOWN_DEVICE_COOKIE,
            token,
            max_age=KNOWN_DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure),
        )
        return response


def throttled_sign_in(view):
    """Mark a view as a way of signing in: the budgets above are counted before it (and before CSRF) runs."""
    view.fieldapp_sign_in = True
    return view


def _is_sign_in_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method == "POST" and getattr(view, "fieldapp_sign_in", False)


def _limits(setting: str):
    return parse_many(current_app.config[setting])


def _hit(setting: str, scope: str, key: str) -> bool:
    """Count one attempt against every window of `setting`; False when any window is already full."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return all([limiter.limiter.hit(item, prefix, scope, key) for item in _limits(setting)])


def _has_room(setting: str, scope: str, key: str) -> bool:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return all(limiter.limiter.test(item, prefix, scope, key) for item in _limits(setting))


def throttle_sign_in():
    """Count this sign-in attempt; 429 when a budget is spent, 413 for a body too large to be a sign-in."""
    if not _is_sign_in_request():
        return None
    address = get_remote_address()
    username = submitted_username()
    known = is_known_device()
    allowed = _hit("LOGIN_RATE_LIMIT", "sign-in-user-address", f"{username or '-'}@{address}")
    if not known:
        allowed = _hit("LOGIN_ADDRESS_RATE_LIMIT", "sign-in-address", address) and allowed
        if username:
            allowed = allowed and _has_room("LOGIN_USERNAME_RATE_LIMIT", "sign-in-username", username)

            @after_this_request
            def count_failure_against_username(response):
                if response.status_code in (400, 401):  # only wrong passwords (and malformed tries) use it up
                    _hit("LOGIN_USERNAME_RATE_LIMIT", "sign-in-username", username)
                return response

    if not allowed:
        abort(429)
    if not _body_is_small():
        return error_response(413, "request_too_large", "A sign-in request is never this large.")
    return None


def init_sign_in_guard(app: Flask) -> None:
    """Register the throttle: after the limiter's own hook, before CSRF protection reads the form."""
    app.before_request(throttle_sign_in)

"""Small helpers shared by the safety views: JSON bodies, errors, the clock."""

from __future__ import annotations

from functools import wraps

from flask import request

from ..errors import error_response
from ..models import utcnow
from .sessions import SafetyError


def now():
    return utcnow()


def json_body() -> dict:
    body = request.get_json(silent=True)
    if body is None:
        body = {}
        if request.data:
            raise SafetyError("The request body must be a JSON object.")
    if not isinstance(body, dict):
        raise SafetyError("The request body must be a JSON object.")
    return body


def int_field(body: dict, name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SafetyError(f"{name} must be a whole number.")
    try:
        return int(value)
    except ValueError:
        raise SafetyError(f"{name} must be a whole number.") from None


def str_field(body: dict, name: str, limit: int = 2000) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str):
        raise SafetyError(f"{name} must be text.")
    return value[:limit]


def refusals_as_json(view):
    """SafetyError → 4xx JSON {"error", "message"}, never a 500."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except SafetyError as error:
            return error_response(error.status, error.code, str(error))

    return wrapped

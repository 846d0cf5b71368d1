"""Bounded input on the API: how many bytes a call may send, and its JSON read once, here, for every view.

MAX_CONTENT_LENGTH (config) bounds every request; a sync push may send more (SYNC_PUSH_MAX_BYTES), as it
carries sealed records and their photos. Per-op and per-envelope caps live with the push (sync_views.py).
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from .. import jsonbody
from ..errors import error_response

LARGER_BODIES = {"api.sync_push": "SYNC_PUSH_MAX_BYTES"}


def allow_larger_body_where_needed() -> None:
    """Raise this request's body limit on the few endpoints that need more (before anything reads it)."""
    setting = LARGER_BODIES.get(request.endpoint or "")
    if setting:
        request.max_content_length = current_app.config[setting]


def too_large_response():
    limit = request.max_content_length
    return error_response(
        413,
        "too_large",
        f"The request is larger than this server accepts ({limit // (1024 * 1024)} MiB); send fewer items at once.",
    )


def refuse_unreadable_json():
    """Parse a JSON body once (views reuse the parsed value); a 400 or 413 response if it cannot be read."""
    if not request.is_json:
        return None
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return too_large_response()
    if not data or request.get_json(silent=True) is not None:
        return None
    try:
        jsonbody.loads(data)  # only on failure (or a bare null): what is wrong with it, in words
    except ValueError as error:
        return error_response(400, "malformed_json", f"The request body is not valid JSON: {error}.")
    return None

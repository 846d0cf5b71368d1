"""Structured logs: one JSON object per line, each carrying the request id of the work it describes.

The id is chosen per web request (or taken from a trusted proxy's `X-Request-Id`), returned in the response's
`X-Request-Id` header, written on every audit event of that request, and bound around escalator sweeps. Log lines
name routes, status codes and numeric ids only: never a path with its query string, a form field or a body, so no
child's name or address reaches a log.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-Id"
# What a proxy may hand us (nginx's $request_id is 32 hex digits); anything else is replaced by our own id.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("fieldapp_request_id", default=None)
# LogRecord attributes that are not "extra" fields passed by the caller.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}
access_log = logging.getLogger("fieldapp.access")


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def bound_request_id(value: str | None = None):
    """Log lines (and audit events) inside this block carry `value` (a new id when None)."""
    token = _request_id.set(value or new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message, request id, and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(level: str | int = "INFO", stream=None) -> None:
    """Send every logger's records to `stream` (stderr) as JSON lines, replacing the root's handlers."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)


def gunicorn_logconfig(level: str = "INFO") -> dict:
    """`logconfig_dict` for gunicorn: its own messages and the app's, all as JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "fieldapp.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # Our own access line (below) names the route, never the raw path and query string.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


def init_request_ids(app: Flask) -> None:
    """Give every request an id (header in and out) and write one access line per request."""

    def choose_request_id():
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        value = offered if app.config.get("TRUST_PROXY") and _ACCEPTED_ID.fullmatch(offered) else new_request_id()
        g.request_id = value
        g.request_started = time.perf_counter()
        g.request_id_token = _request_id.set(value)

    # First of all before-request hooks: a request refused by CSRF or a guard still gets (and returns) its id.
    app.before_request_funcs.setdefault(None, []).insert(0, choose_request_id)

    @app.after_request
    def return_request_id(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "route": request.url_rule.rule if request.url_rule else None,
                    "endpoint": request.endpoint,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                    "user_id": _user_id(),
                },
            )
        return response

    @app.teardown_request
    def forget_request_id(error=None):
        token = g.pop("request_id_token", None)
        if token is not None:
            _request_id.reset(token)


def _user_id() -> int | None:
    # The user Flask-Login loaded for this request, by identity only: after the view's commit its attributes are
    # expired, and reading `current_user.id` would cost every request a second SELECT of the user just for this line.
    user = g.get("_login_user")
    if user is None or getattr(user, "is_anonymous", True):
        return None
    identity = inspect(user, raiseerr=False)
    if identity is None or identity.identity is None:
        return None
    return identity.identity[0]

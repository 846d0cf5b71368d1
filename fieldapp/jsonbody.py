"""JSON parsing that cannot fail with a server error: nesting deep enough to exhaust the parser's stack is
an ordinary ValueError (so a 400), wherever the app parses JSON — request bodies and unsealed items alike."""

from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider


class JSONTooDeep(ValueError):
    """The JSON nests more deeply than the parser can follow."""


def loads(data: str | bytes, **kwargs):
    """json.loads, with too-deep nesting as JSONTooDeep (a ValueError) instead of RecursionError."""
    import json

    try:
        return json.loads(data, **kwargs)
    except RecursionError:
        raise JSONTooDeep("the JSON is nested too deeply") from None


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs):
        return loads(s, **kwargs)


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)

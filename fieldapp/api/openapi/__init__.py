"""GET /api/openapi.json: every /api endpoint, its requests, answers and errors.

Written by hand next to the views it describes, one module per part of the API (account, sync_paths, safety;
shared pieces in parts); tests hold it to the app's URL map (every /api rule and method documented, nothing
extra) and schemathesis holds the live answers to it.
"""

from __future__ import annotations

from flask import current_app

from ...version import __version__
from .. import bp
from . import account, safety, sync_paths
from .parts import OBJECT, json_content


def paths() -> dict:
    return {
        **account.paths(),
        **sync_paths.paths(),
        **safety.paths(),
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OK", **json_content(OBJECT)}},
            }
        },
    }


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fieldapp API",
            "version": __version__,
            "description": "JSON API of the fieldapp offline app. Sync contract: docs/sync-protocol.md.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                }
            },
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": current_app.config["SESSION_COOKIE_NAME"]}
            },
        },
        "security": [{"session": []}],
        "paths": paths(),
    }


@bp.get("/openapi.json")
def openapi():
    return document()

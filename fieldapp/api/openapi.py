"""GET /api/openapi.json: every /api endpoint, its requests, answers and errors.

Written by hand next to the views it describes; tests hold it to the app's URL map (every /api rule and
method documented, nothing extra) and schemathesis holds the live answers to it.
"""

from __future__ import annotations

from flask import current_app

from sync.first_pull import TOKEN
from sync.states import ConflictState, ReviewState

from ..version import __version__
from . import bp

ERROR = {"$ref": "#/components/schemas/Error"}
OBJECT = {"type": "object"}
OK = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
UUID = {"type": "string", "maxLength": 64}
FIRST_PULL_TOKEN = f"^{TOKEN.pattern}$"
ERROR_CODES = {
    "400": "Malformed request (message says what)",
    "401": "Not signed in, or the session has ended",
    "403": "Not allowed for your role, device or team",
    "404": "Nothing there that you may see",
    "409": "Changed meanwhile: reload and try again",
    "410": "This device was revoked: wipe",
    "422": "Well-formed but refused (message says why)",
    "413": "Request body too large (1 MiB; a sync push 48 MiB)",
    "429": "Too many attempts: wait",
    "503": "Not configured yet (e.g. no server key)",
}
DEVICE_HEADER_PARAM = {
    "name": "X-Fieldapp-Device",
    "in": "header",
    "required": False,
    "schema": UUID,
    "description": "The registered device's id. Workers must send a live device of theirs on every data "
    "endpoint (403 device_required otherwise); a revoked device gets 410 everywhere.",
}
FIELD_ERROR = {
    "type": "object",
    "required": ["path", "message"],
    "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
}
OP_RESULT = {
    "type": "object",
    "required": ["op_id", "status", "record_id", "errors"],
    "properties": {
        "op_id": {"type": "string"},
        "record_id": {"type": "string"},
        "status": {"enum": ["applied", "merged", "conflict", "rejected"]},
        "revision": {"type": ["integer", "null"]},
        "conflict_id": {"type": ["integer", "null"]},
        "errors": {"type": "array", "items": FIELD_ERROR},
        "code": {"type": ["string", "null"]},
        "message": {"type": "string"},
        "body": {
            "type": "object",
            "description": "A rejected record the worker can correct, handed back: only "
            "when the caller's own device sealed it, about a child they may write",
        },
    },
}
PULLED_RECORD = {
    "type": "object",
    "required": [
        "record_id",
        "child_id",
        "record_type",
        "schema_version",
        "revision",
        "review_state",
        "conflict_state",
        "author_id",
        "body",
    ],
    "properties": {
        "record_id": {"type": "string"},
        "child_id": {"type": "string"},
        "record_type": {"type": "string"},
        "schema_version": {"type": "integer"},
        "revision": {"type": "integer"},
        "review_state": {"enum": [state.value for state in ReviewState]},
        "conflict_state": {"enum": [state.value for state in ConflictState]},
        "author_id": {"type": "integer"},
        "occurred_on": {"type": ["string", "null"]},
        "body": {"type": "object"},
    },
}
ENVELOPE = {
    "type": "object",
    "required": ["v", "kid", "epk", "iv", "ct"],
    "properties": {
        "v": {"type": "integer"},
        "kid": {"type": "string"},
        "epk": {"type": "string"},
        "iv": {"type": "string"},
        "ct": {"type": "string"},
    },
}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _operation(
    summary: str,
    ok: dict,
    status: str = "200",
    body: dict | None = None,
    params: list | None = None,
    errors: tuple[str, ...] = ("400", "401", "403", "404", "410", "413", "429"),
) -> dict:
    operation = {
        "summary": summary,
        "parameters": [DEVICE_HEADER_PARAM] + (params or []),
        "responses": {status: {"description": "OK", **_json(ok)}}
        | {code: {"description": ERROR_CODES[code], **_json(ERROR)} for code in errors},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, **_json(body)}
    return operation


def _query(name: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}


def paths() -> dict:
    session_id = [_path("public_id")]
    with_409 = ("400", "401", "403", "404", "409", "410", "413", "429")
    return {
        "/api/me": {"get": _operation("Who is signed in, CSRF token, device and vault settings", OBJECT)},
        "/api/session": {
            "get": _operation(
                "Signed in or not, and a CSRF token",
                {
                    "type": "object",
                    "required": ["authenticated", "csrf_token"],
                    "properties": {"authenticated": {"type": "boolean"}, "csrf_token": {"type": "string"}},
                },
            ),
            "post": _operation(
                "Sign in again without leaving the app",
                OBJECT,
                body={
                    "type": "object",
                    "properties": {
                        "username": {"type": "string"},
                        "password": {"type": "string"},
                        # Needed when the user has a second factor (401 second_factor_required).
                        "code": {"type": "string", "maxLength": 40},
                    },
                },
            ),
        },
        "/api/devices": {
            "post": _operation(
                "Register this device",
                OBJECT,
                "201",
                body={"type": "object", "properties": {"id": UUID, "name": {"type": "string", "maxLength": 80}}},
            )
        },
        "/api/caseload": {
            "get": _operation(
                "The worker's allocated children, for the device",
                {
                    "type": "object",
                    "required": ["children"],
                    "properties": {"as_of": {"type": "string"}, "children": {"type": "array", "items": OBJECT}},
                },
            )
        },
        "/api/keys/sealing": {
            "get": _operation(
                "The server's current sealing public key",
                {
                    "type": "object",
                    "required": ["kid", "alg", "public_key"],
                    "properties": {
                        "kid": {"type": "string"},
                        "alg": {"type": "string"},
                        "public_key": {"type": "string"},
                    },
                },
                errors=("401", "403", "410", "503"),
            )
        },
        "/api/record-types": {
            "get": _operation(
                "Every record definition, with council labels",
                {
                    "type": "object",
                    "required": ["record_types"],
                    "properties": {"record_types": {"type": "array", "items": OBJECT}},
                },
            )
        },
        "/api/record-types/{record_type}": {
            "get": _operation("One record definition", OBJECT, params=[_path("record_type")])
        },
        "/api/sync/push": {
            "post": _operation(
                "Deliver sealed ops; one result per op, in order",
                {
                    "type": "object",
                    "required": ["results"],
                    "properties": {"results": {"type": "array", "items": OP_RESULT}},
                },
                body={
                    "type": "object",
                    "required": ["ops"],
                    "properties": {
                        "ops": {
                            "type": "array",
                            "maxItems": 200,
                            "items": {
                                "type": "object",
                                "required": ["op_id", "envelope"],
                                "properties": {
                                    "op_id": {"type": "string", "minLength": 1, "maxLength": 64},
                                    "envelope": ENVELOPE,
                                },
                            },
                        }
                    },
                },
            )
        },
        "/api/sync/pull": {
            "get": _operation(
                "Records in the caller's scope changed after a cursor",
                {
                    "type": "object",
                    "required": ["records", "cursor", "more", "scope"],
                    "properties": {
                        "records": {"type": "array", "items": PULLED_RECORD},
                        # A change-log seq, or between the pages of a first pull a position token.
                        "cursor": {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": FIRST_PULL_TOKEN}]},
                        "more": {"type": "boolean"},
                        "scope": {
                            "type": "object",
                            "required": ["child_ids", "hash"],
                            "properties": {
                                "child_ids": {"type": "array", "items": {"type": "string"}},
                                "hash": {"type": "string"},
                            },
                        },
                    },
                },
                params=[
                    _query(
                        "after",
                        {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": FIRST_PULL_TOKEN}]},
                    ),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                ],
            )
        },
        "/api/sync/history": {
            "get": _operation(
                "Older records of one child, left out of the pull window",
                {
                    "type": "object",
                    "required": ["records", "more", "next_offset"],
                    "properties": {
                        "records": {"type": "array", "items": PULLED_RECORD},
                        "more": {"type": "boolean"},
                        "next_offset": {"type": "integer"},
                    },
                },
                params=[
                    _query("child_id", UUID, required=True),
                    _query("offset", {"type": "integer", "minimum": 0, "maximum": 1000000}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                ],
            )
        },
        "/api/notifications": {
            "get": _operation(
                "The signed-in user's notices after an id",
                OBJECT,
                params=[_query("after", {"type": "integer", "minimum": 0})],
            )
        },
        "/api/notifications/read": {"post": _operation("Mark notices read", OBJECT, body=OBJECT)},
        "/api/safety/me": {"get": _operation("The worker's open safety session, if any", OBJECT)},
        "/api/safety/sessions": {
            "post": _operation(
                "Start a safety session (online only)",
                OBJECT,
                "201",
                body={
                    "type": "object",
                    "properties": {
                        "minutes": {"type": "integer"},
                        "child_id": UUID,
                        "address": {"type": "string"},
                        "notes": {"type": "string"},
                    },
                },
                errors=with_409,
            )
        },
        "/api/safety/sessions/{public_id}/extend": {
            "post": _operation(
                "Extend the session",
                OBJECT,
                body={"type": "object", "properties": {"minutes": {"type": "integer"}}},
                params=session_id,
                errors=with_409,
            )
        },
        "/api/safety/sessions/{public_id}/location": {
            "post": _operation(
                "Share the last known location",
                OK,
                body={
                    "type": "object",
                    "properties": {
                        "lat": {"type": "number"},
                        "lon": {"type": "number"},
                        "accuracy": {"type": "number"},
                    },
                },
                params=session_id,
                errors=with_409,
            )
        },
        "/api/safety/sessions/{public_id}/check-out": {
            "post": _operation(
                "Check out (a duress PIN looks the same and raises a silent alert)",
                OBJECT,
                body={"type": "object", "properties": {"pin": {"type": "string"}}},
                params=session_id,
                errors=with_409,
            )
        },
        "/api/safety/panic": {
            "post": _operation(
                "Panic: alert every level at once. A press sent late keeps its pressed-at time (sent_at - pressed_at, "
                "on the device's clock, back from receipt; at most 24 h old, else 422); a resent client_id raises "
                "nothing",
                OBJECT,
                body={
                    "type": "object",
                    "properties": {
                        "address": {"type": "string"},
                        "client_id": UUID,
                        "pressed_at": {"type": "string", "format": "date-time"},
                        "sent_at": {"type": "string", "format": "date-time"},
                    },
                },
                errors=(*with_409, "422"),
            )
        },
        "/api/safety/pins": {
            "post": _operation(
                "Set the check-out PIN and duress PIN",
                OK,
                body={
                    "type": "object",
                    "properties": {"checkout_pin": {"type": "string"}, "duress_pin": {"type": "string"}},
                },
            )
        },
        "/api/safety/push-key": {
            "get": _operation(
                "The VAPID public key for push subscriptions",
                {"type": "object", "properties": {"public_key": {"type": "string"}}},
                errors=("401", "403", "410", "503"),
            )
        },
        "/api/safety/push-subscriptions": {
            "post": _operation(
                "Store this device's push subscription",
                OK,
                "201",
                body={
                    "type": "object",
                    "properties": {
                        "endpoint": {"type": "string"},
                        "keys": {
                            "type": "object",
                            "properties": {"p256dh": {"type": "string"}, "auth": {"type": "string"}},
                        },
                    },
                },
            ),
            "delete": _operation(
                "Remove this device's push subscription",
                OK,
                body={"type": "object", "properties": {"endpoint": {"type": "string"}}},
            ),
        },
        "/api/safety/board": {"get": _operation("Live safety board for the manager's team", OBJECT)},
        "/api/safety/sessions/{public_id}/acknowledge": {
            "post": _operation(
                "Acknowledge an alert (others see who took it)", OBJECT, params=session_id, errors=with_409
            )
        },
        "/api/safety/sessions/{public_id}/resolve": {
            "post": _operation(
                "Resolve with an outcome and notes",
                OBJECT,
                body={"type": "object", "properties": {"outcome": {"type": "string"}, "notes": {"type": "string"}}},
                params=session_id,
                errors=with_409,
            )
        },
        "/api/safety/test-alert": {
            "post": _operation("Send a labelled test alert to my devices", OBJECT, body=OBJECT, errors=with_409)
        },
        "/api/safety/report": {
            "get": _operation(
                "Monthly safety figures for the team", OBJECT, params=[_query("month", {"type": "string"})]
            )
        },
        "/api/devices/report": {
            "post": _operation(
                "This device's counts of unfinished drafts and undelivered items (no content)",
                OBJECT,
                body={
                    "type": "object",
                    "required": ["drafts", "outbox"],
                    "properties": {
                        "drafts": {"type": "integer", "minimum": 0},
                        "outbox": {"type": "integer", "minimum": 0},
                    },
                },
            )
        },
        "/api/drafts/unfinished": {
            "get": _operation(
                "Unfinished drafts a revoked device handed over, waiting for a device to continue them (no content)",
                {
                    "type": "object",
                    "required": ["drafts"],
                    "properties": {"drafts": {"type": "array", "items": OBJECT}},
                },
            )
        },
        "/api/drafts/unfinished/take": {
            "post": _operation(
                "Take unfinished drafts onto this device, with their content",
                {
                    "type": "object",
                    "required": ["drafts"],
                    "properties": {"drafts": {"type": "array", "items": OBJECT}},
                },
                body={
                    "type": "object",
                    "required": ["ids"],
                    "properties": {"ids": {"type": "array", "maxItems": 500, "items": {"type": "string"}}},
                },
            )
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OK", **_json(OBJECT)}},
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

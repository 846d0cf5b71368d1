"""The pieces every part of the API document uses: shared schemas, error codes and operation builders."""

from __future__ import annotations

from sync.first_pull import TOKEN
from sync.states import ConflictState, ReviewState

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
# What a pull leaves on the server (docs/sync-protocol.md "window"); null: every record travels.
PULL_WINDOW = {
    "type": ["object", "null"],
    "required": ["since", "latest_types"],
    "properties": {
        "since": {"type": "string", "format": "date"},
        "latest_types": {"type": "array", "items": {"type": "string"}},
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


def json_content(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def operation(
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
        "responses": {status: {"description": "OK", **json_content(ok)}}
        | {code: {"description": ERROR_CODES[code], **json_content(ERROR)} for code in errors},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, **json_content(body)}
    return operation


def query(name: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}


WITH_409 = ("400", "401", "403", "404", "409", "410", "413", "429")  # for calls that can lose a race
